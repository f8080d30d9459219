"""Built-in brokers for several processes (``broker = "redis"``)."""
