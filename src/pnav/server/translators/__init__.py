"""Built-in translators (``translator = "libretranslate"``)."""
