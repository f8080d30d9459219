"""Built-in routers that live on the server side (``router = "http"``)."""
