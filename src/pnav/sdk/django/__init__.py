"""Django app for the pnav snippet: add ``"pnav.sdk.django"`` to ``INSTALLED_APPS``, then

    {% load pnav %}
    {% pnav_banner %}

in a template, with in settings.py::

    PNAV = {"server_url": "https://chat.example.org", "partner": "town-hall"}
    # optional keys: "lang", "exit_url", "launcher"

Install with ``pip install 'pnav[django]'``. The page's CSP nonce goes on the script
tag by itself when the request carries it as ``request.csp_nonce`` (django-csp and
Django's own CSP support) or the template context as ``csp_nonce``; or pass it:
``{% pnav_banner nonce=my_nonce %}``.
"""
