"""Short-lived, purpose-salted signed tokens (itsdangerous).

Each purpose has its own salt, so a ticket cannot be replayed as a resume token or a
console session, and each has its own maximum age.
"""

from __future__ import annotations

import secrets
from typing import Any

from itsdangerous import BadData, URLSafeTimedSerializer

__all__ = ["TokenError", "Tokens"]


class TokenError(ValueError):
    """A token is expired, tampered with, or made for another purpose."""


class Tokens:
    def __init__(
        self, secret_key: bytes, ticket_age: int, person_age: int, console_age: int
    ) -> None:
        def serializer(purpose: str) -> URLSafeTimedSerializer:
            return URLSafeTimedSerializer(secret_key, salt=f"pnav.{purpose}.v1")

        self._ticket = serializer("ticket")
        self._person = serializer("person-session")
        self._exit = serializer("quick-exit")
        self._console = serializer("console-session")
        self._ages = {"ticket": ticket_age, "person": person_age, "console": console_age}

    @staticmethod
    def _load(s: URLSafeTimedSerializer, token: object, max_age: int | None) -> Any:
        if not isinstance(token, str) or len(token) > 1024:
            raise TokenError("not a token")
        try:
            return s.loads(token, max_age=max_age)
        except BadData as exc:
            raise TokenError(type(exc).__name__) from exc

    def ticket(self, partner: str) -> str:
        return self.new_ticket(partner)[0]

    def new_ticket(self, partner: str) -> tuple[str, str]:
        """A ticket and its nonce (single-use: the web layer records the nonces used)."""
        nonce = secrets.token_hex(12)
        return str(self._ticket.dumps({"p": partner, "n": nonce})), nonce

    def read_ticket(self, token: object) -> str:
        return self.read_ticket_nonce(token)[0]

    def read_ticket_nonce(self, token: object) -> tuple[str, str]:
        """The partner and the nonce of a valid ticket."""
        data = self._load(self._ticket, token, self._ages["ticket"])
        return str(data["p"]), str(data["n"])

    def person(self, conv_id: str) -> str:
        return str(self._person.dumps({"c": conv_id}))

    def read_person(self, token: object) -> str:
        return str(self._load(self._person, token, self._ages["person"])["c"])

    def exit(self, conv_id: str) -> str:
        return str(self._exit.dumps({"c": conv_id}))

    def read_exit(self, token: object) -> str:
        # Whenever it comes, a quick exit is worth recording: no age limit beyond the token's life.
        return str(self._load(self._exit, token, self._ages["person"])["c"])

    def console(self, operator_id: int) -> str:
        """A console session: the operator and a session id that logout revokes."""
        return str(self._console.dumps({"o": operator_id, "s": secrets.token_hex(12)}))

    def read_console(self, token: object) -> int:
        return self.read_console_session(token)[0]

    def read_console_session(self, token: object) -> tuple[int, str]:
        """The operator id and session id; a session without an id (made before
        sessions could be revoked) is refused."""
        data = self._load(self._console, token, self._ages["console"])
        if not isinstance(data.get("s"), str) or not isinstance(data.get("o"), int):
            raise TokenError("a session from an older version: log in again")
        return int(data["o"]), str(data["s"])
