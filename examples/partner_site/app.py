"""An example partner website (a town hall page) that embeds the pnav banner.

Run it on its own against a running pnav server:

    python examples/partner_site/app.py --server http://127.0.0.1:8400 --partner demo

``pnav demo`` starts it for you next to the server.
"""

from __future__ import annotations

import argparse
import re

from flask import Flask, Response, render_template_string, request

from pnav.sdk.flask import Pnav

PAGE = """<!doctype html>
<html lang="{{ lang }}" dir="{{ dir }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mairie de Saint-Exemple</title>
</head>
<body>
<header lang="fr" dir="ltr"><h1>Mairie de Saint-Exemple</h1></header>
<main lang="fr" dir="ltr">
  <h2>Horaires d'ouverture</h2>
  <p>Du lundi au vendredi, de 8 h 30 à 17 h. Le samedi matin, de 9 h à 12 h.</p>
  <h2>Vous êtes victime ou témoin de violences ?</h2>
  <p>Parlez-en, gratuitement et anonymement, 24 h/24, avec une personne formée :
  cliquez sur le bandeau en bas de la page. En cas de danger immédiat, appelez le 17
  ou le 112, ou envoyez un SMS au 114.</p>
</main>
{{ pnav_banner(lang=lang, exit_url=exit_url) }}
</body>
</html>
"""

NEUTRAL = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Météo</title></head>
<body><h1>Météo du jour</h1><p>Ensoleillé, 18 °C.</p></body></html>
"""

# ?lang=ar: the page declares another language, so the banner and the chat follow it
# (the page's own text stays French, marked so).
_LANG = re.compile(r"[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8}){0,2}")
_RTL = ("ar", "fa", "ps", "he", "ur")


def create_app(server_url: str, partner: str, exit_path: str = "/meteo") -> Flask:
    app = Flask(__name__)
    # The pnav Flask extension: {{ pnav_banner() }} in any template (pnav.sdk.flask).
    app.config.update(PNAV_SERVER_URL=server_url, PNAV_PARTNER=partner)
    Pnav(app)

    @app.get("/")
    def home() -> Response:
        # The neutral page lives on this site here; a real partner picks an ordinary
        # page elsewhere (a weather or search site).
        exit_url = request.host_url.rstrip("/") + exit_path
        asked = request.args.get("lang", "fr")
        lang = asked if _LANG.fullmatch(asked) else "fr"
        direction = "rtl" if lang.split("-")[0].lower() in _RTL else "ltr"
        page = render_template_string(PAGE, exit_url=exit_url, lang=lang, dir=direction)
        return Response(page, mimetype="text/html")

    @app.get(exit_path)
    def neutral() -> Response:
        return Response(NEUTRAL, mimetype="text/html")

    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", default="http://127.0.0.1:8400")
    parser.add_argument("--partner", default="demo")
    parser.add_argument("--port", type=int, default=8401)
    args = parser.parse_args()
    create_app(args.server, args.partner).run(host="127.0.0.1", port=args.port)
