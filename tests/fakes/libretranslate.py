"""A fake LibreTranslate: the real HTTP API (``POST /translate``, ``POST /detect``,
``GET /languages``), form or JSON bodies, an optional API key, and modes in which it
misbehaves: ``slow`` (hangs until stopped), ``error`` (HTTP 500), ``malformed`` (not
JSON), ``wrong_shape`` (JSON without the expected fields).

Translation is a phrase table, else ``"[<target>] <text>"``; detection is a word table.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from .base import FakeHTTPServer, QuietHandler

PHRASES = {
    ("es", "fr", "Necesito ayuda"): "J'ai besoin d'aide",
    ("fr", "es", "Je suis là, je vous écoute."): "Estoy aquí, le escucho.",
    ("en", "fr", "Help me"): "Aidez-moi",
}
WORDS = {"necesito": "es", "ayuda": "es", "hola": "es", "help": "en", "bonjour": "fr"}
# bn: a language pnav ships no interface table for (a machine-made one is produced).
LANGUAGES = ["ar", "bn", "en", "es", "fr", "pt", "uk", "zh"]


class _Handler(QuietHandler):
    server: FakeLibreTranslate

    def _params(self) -> dict[str, Any]:
        raw = self.body()
        if "json" in (self.headers.get("Content-Type") or ""):
            value = json.loads(raw or b"{}")
            return value if isinstance(value, dict) else {}
        return {k: v[0] for k, v in parse_qs(raw.decode()).items()}

    def _misbehaving(self) -> bool:
        fake = self.server
        mode = fake.mode
        if mode == "slow":
            fake.release.wait(30)
            return True
        if mode == "error":
            self.answer(500, b'{"error": "internal error"}')
            return True
        if mode == "malformed":
            self.answer(200, b'{"translatedText": "unterminated')
            return True
        if mode == "wrong_shape":
            self.answer(200, b'{"something": "else"}')
            return True
        return False

    def _serve(self, path: str, params: dict[str, Any]) -> None:
        fake = self.server
        with fake.lock:
            fake.requests.append((path, params))
        if self._misbehaving():
            return
        # like LibreTranslate, /languages needs no key
        if path != "/languages" and fake.api_key and params.get("api_key") != fake.api_key:
            self.answer(403, b'{"error": "Invalid API key"}')
            return
        if path == "/languages":
            langs = [{"code": c, "name": c.upper(), "targets": LANGUAGES} for c in LANGUAGES]
            self.answer(200, json.dumps(langs).encode())
        elif path == "/detect":
            self.answer(200, json.dumps(detect(str(params.get("q", "")))).encode())
        elif path == "/translate":
            q, source, target = (str(params.get(k, "")) for k in ("q", "source", "target"))
            if not q or not target or not source:
                self.answer(400, b'{"error": "Invalid request: missing q, source or target"}')
                return
            if target not in LANGUAGES or (source != "auto" and source not in LANGUAGES):
                self.answer(400, b'{"error": "language not supported"}')
                return
            answer: dict[str, Any] = {}
            if source == "auto":
                guesses = detect(q)
                source = guesses[0]["language"] if guesses else "en"
                answer["detectedLanguage"] = {"language": source, "confidence": 90.0}
            answer["translatedText"] = PHRASES.get((source, target, q), f"[{target}] {q}")
            self.answer(200, json.dumps(answer, ensure_ascii=False).encode())
        else:
            self.answer(404, b'{"error": "Not Found"}')

    def do_POST(self) -> None:
        self._serve(self.path.split("?")[0], self._params())

    def do_GET(self) -> None:
        params = {k: v[0] for k, v in parse_qs(self.path.partition("?")[2]).items()}
        self.body()  # libretranslatepy sends its form on GET too
        self._serve(self.path.split("?")[0], params)


def detect(text: str) -> list[dict[str, Any]]:
    for word in text.lower().replace(",", " ").split():
        if word in WORDS:
            return [{"language": WORDS[word], "confidence": 92.0}]
    return [{"language": "en", "confidence": 0.0}]


class FakeLibreTranslate(FakeHTTPServer):
    def __init__(self, mode: str = "ok", api_key: str | None = None) -> None:
        super().__init__(_Handler)
        self.mode = mode
        self.api_key = api_key
        self.requests: list[tuple[str, dict[str, Any]]] = []
