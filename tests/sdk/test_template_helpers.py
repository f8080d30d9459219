"""The template helpers, in real apps: a Flask app rendering ``{{ pnav_banner() }}`` with
the nonce it put in its CSP header, and a Django project rendering ``{% pnav_banner %}``
through its URL routing, middleware and template engine."""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from flask import Flask, Response, g, render_template_string

from pnav.sdk import EmbedError
from pnav.sdk.flask import Pnav

PAGE = "<!doctype html><title>Town hall</title><h1>Town hall</h1>{{ pnav_banner() }}"


def _flask_app(**config: str) -> Flask:
    app = Flask("town_hall")
    app.config.update(PNAV_SERVER_URL="https://chat.example.org", PNAV_PARTNER="town", **config)
    Pnav(app)

    @app.before_request
    def make_nonce() -> None:
        g.csp_nonce = secrets.token_urlsafe(16)

    @app.after_request
    def csp(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = (
            f"script-src 'nonce-{g.csp_nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; "
            "object-src 'none'; base-uri 'none'"
        )
        return response

    @app.get("/")
    def home() -> str:
        return render_template_string(PAGE)

    @app.get("/en")
    def english() -> str:
        return render_template_string(
            "{{ pnav_banner(lang='en', launcher='#talk', nonce='fixed-nonce-123') }}"
        )

    return app


def test_flask_renders_the_snippet_with_the_pages_nonce() -> None:
    app = _flask_app(PNAV_EXIT_URL="https://weather.example/")
    client = app.test_client()
    pages = [client.get("/") for _ in range(2)]
    nonces = []
    for page in pages:
        csp_nonce = re.search(r"'nonce-([^']+)'", page.headers["Content-Security-Policy"])
        assert csp_nonce
        html = page.get_data(as_text=True)
        [tag] = re.findall(r"<script [^>]*></script>", html)
        assert f'nonce="{csp_nonce.group(1)}"' in tag
        assert 'src="https://chat.example.org/widget/loader.js?partner=town"' in tag
        assert 'data-pnav-exit="https://weather.example/"' in tag
        nonces.append(csp_nonce.group(1))
    assert nonces[0] != nonces[1], "one nonce per response"
    tag = client.get("/en").get_data(as_text=True)
    assert "?partner=town&amp;lang=en" in tag
    assert 'data-pnav-launcher="#talk"' in tag and 'nonce="fixed-nonce-123"' in tag


def test_flask_refuses_a_wrong_config_at_start() -> None:
    bare = Flask("y")
    bare.config["PNAV_SERVER_URL"] = "https://chat.example.org"
    with pytest.raises(EmbedError, match="set PNAV_PARTNER in the Flask config"):
        Pnav().init_app(bare)
    app = Flask("z")
    app.config.update(PNAV_SERVER_URL="chat.example.org", PNAV_PARTNER="town")
    with pytest.raises(EmbedError, match="server_url must be an absolute"):
        Pnav(app)


DJANGO_PROJECT = """
SECRET_KEY = "test"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
ROOT_URLCONF = "town_urls"
INSTALLED_APPS = ["pnav.sdk.django"]
MIDDLEWARE = ["town_urls.NonceMiddleware"]
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "OPTIONS": {"loaders": [("django.template.loaders.locmem.Loader", {
        "home.html": "<!doctype html><title>Town</title>{% load pnav %}{% pnav_banner %}",
        "launcher.html": "{% load pnav %}{% pnav_banner launcher='.help' lang='en' %}",
    })]},
}]
PNAV = {"server_url": "https://chat.example.org", "partner": "town", "exit_url": "https://weather.example/"}
"""

DJANGO_URLS = '''
import secrets
from django.shortcuts import render
from django.urls import path

class NonceMiddleware:
    """What django-csp does: a nonce per request, in the CSP header."""
    def __init__(self, get_response):
        self.get_response = get_response
    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        nonce = request.csp_nonce
        response["Content-Security-Policy"] = f"script-src 'nonce-{nonce}' 'strict-dynamic'"
        return response

urlpatterns = [
    path("", lambda request: render(request, "home.html")),
    path("launcher", lambda request: render(request, "launcher.html")),
]
'''

DJANGO_CHECK = """
import re, django
django.setup()
from django.test import Client
client = Client()
for _ in range(2):
    page = client.get("/")
    assert page.status_code == 200, page.status_code
    nonce = re.search(r"'nonce-([^']+)'", page["Content-Security-Policy"]).group(1)
    html = page.content.decode()
    [tag] = re.findall(r"<script [^>]*></script>", html)
    assert f'nonce="{nonce}"' in tag, tag
    assert 'src="https://chat.example.org/widget/loader.js?partner=town"' in tag, tag
    assert 'data-pnav-exit="https://weather.example/"' in tag, tag
tag = client.get("/launcher").content.decode()
assert 'data-pnav-launcher=".help"' in tag and "lang=en" in tag, tag
print("django ok")
"""


def test_django_renders_the_tag_with_the_requests_nonce(tmp_path: Path) -> None:
    pytest.importorskip("django")
    (tmp_path / "town_settings.py").write_text(DJANGO_PROJECT)
    (tmp_path / "town_urls.py").write_text(DJANGO_URLS)
    # Its own interpreter: Django's settings are global to a process.
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(DJANGO_CHECK)],
        cwd=tmp_path,
        env={"DJANGO_SETTINGS_MODULE": "town_settings", "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "django ok" in result.stdout


def test_django_without_settings_is_a_clear_error(tmp_path: Path) -> None:
    pytest.importorskip("django")
    (tmp_path / "town_settings.py").write_text(DJANGO_PROJECT.replace("PNAV = ", "NOT_PNAV = "))
    (tmp_path / "town_urls.py").write_text(DJANGO_URLS)
    script = "import django; django.setup()\nfrom django.test import Client\nClient().get('/')"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={"DJANGO_SETTINGS_MODULE": "town_settings", "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert 'settings.PNAV must be a dict with "server_url" and "partner"' in result.stderr
