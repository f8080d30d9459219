"""The pnav crypto formats (v1), in Python; the browser twin is widget/src/shared/crypto.js.

Both produce and accept the same bytes (docs/protocol.md, "Crypto formats"). Every
function here raises :class:`CryptoError` rather than return anything unverified.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from dataclasses import dataclass
from typing import Any

import nacl.exceptions
import nacl.public
import nacl.pwhash.argon2id
import nacl.secret
import nacl.utils

__all__ = [
    "FORMAT_VERSION",
    "KDF_MEM",
    "KDF_OPS",
    "RESUME_DIGITS",
    "CryptoError",
    "DeskKeyPair",
    "OperatorKeys",
    "ResumeKeys",
    "b64decode",
    "b64encode",
    "decrypt_message",
    "derive_operator_keys",
    "derive_resume_keys",
    "encrypt_message",
    "message_plaintext",
    "new_conversation_key",
    "new_resume_code",
    "new_salt",
    "normalise_resume_code",
    "open_sealed_key",
    "public_key_of",
    "referral_card",
    "seal_conversation_key",
    "unwrap_conversation_key",
    "unwrap_desk_key",
    "wrap_conversation_key",
    "wrap_desk_key",
]

FORMAT_VERSION = 1
_VERSION_BYTE = bytes([FORMAT_VERSION])
KEY_BYTES = 32
NONCE_BYTES = nacl.secret.SecretBox.NONCE_SIZE
SALT_BYTES = nacl.pwhash.argon2id.SALTBYTES
# Argon2id cost for operator credentials: 64 MiB, 3 passes. The browser runs the same
# derivation (hash-wasm) at login, so this is bounded by what a console laptop does in ~1 s.
KDF_OPS = 3
KDF_MEM = 64 * 1024 * 1024


class CryptoError(ValueError):
    """A ciphertext, key or encoding was refused."""


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, AttributeError) as exc:
        raise CryptoError("not valid base64") from exc


def _versioned(blob: bytes, minimum: int) -> bytes:
    if len(blob) < 1 + minimum:
        raise CryptoError("ciphertext too short")
    if blob[:1] != _VERSION_BYTE:
        raise CryptoError(f"unknown format version {blob[0]}")
    return blob[1:]


def new_conversation_key() -> bytes:
    return nacl.utils.random(KEY_BYTES)


def new_salt() -> bytes:
    return nacl.utils.random(SALT_BYTES)


@dataclass(frozen=True)
class DeskKeyPair:
    """The platform's intake key pair; conversation keys are sealed to its public half."""

    public: bytes
    secret: bytes

    @classmethod
    def generate(cls) -> DeskKeyPair:
        sk = nacl.public.PrivateKey.generate()
        return cls(public=bytes(sk.public_key), secret=bytes(sk))


def public_key_of(secret: bytes) -> bytes:
    """The X25519 public key of a 32-byte secret key."""
    if len(secret) != KEY_BYTES:
        raise CryptoError("keys must be 32 bytes")
    return bytes(nacl.public.PrivateKey(secret).public_key)


def _seal(key: bytes, public: bytes, ephemeral_secret: bytes | None, nonce: bytes | None) -> bytes:
    if len(key) != KEY_BYTES or len(public) != KEY_BYTES:
        raise CryptoError("keys must be 32 bytes")
    eph = (
        nacl.public.PrivateKey.generate()
        if ephemeral_secret is None
        else nacl.public.PrivateKey(ephemeral_secret)
    )
    nonce = nacl.utils.random(NONCE_BYTES) if nonce is None else nonce
    if len(nonce) != NONCE_BYTES:
        raise CryptoError(f"nonce must be {NONCE_BYTES} bytes")
    box = nacl.public.Box(eph, nacl.public.PublicKey(public))
    ct = box.encrypt(key, nonce).ciphertext
    return _VERSION_BYTE + bytes(eph.public_key) + nonce + ct


def seal_conversation_key(
    key: bytes,
    desk_public: bytes,
    *,
    ephemeral_secret: bytes | None = None,
    nonce: bytes | None = None,
) -> bytes:
    """``0x01 || eph_pk || nonce || box(key)``: only the desk secret key opens it.

    ``ephemeral_secret`` and ``nonce`` are for test vectors only: left out, both are
    fresh random values, as they must be."""
    return _seal(key, desk_public, ephemeral_secret, nonce)


def open_sealed_key(sealed: bytes, desk_secret: bytes) -> bytes:
    body = _versioned(sealed, KEY_BYTES + NONCE_BYTES + 16)
    eph_pk, nonce, ct = body[:32], body[32:56], body[56:]
    box = nacl.public.Box(nacl.public.PrivateKey(desk_secret), nacl.public.PublicKey(eph_pk))
    try:
        key = box.decrypt(ct, nonce)
    except nacl.exceptions.CryptoError as exc:
        raise CryptoError("sealed key does not open with this desk key") from exc
    if len(key) != KEY_BYTES:
        raise CryptoError("sealed key has the wrong length")
    return bytes(key)


def _secretbox(key: bytes, plaintext: bytes, nonce: bytes | None = None) -> bytes:
    if len(key) != KEY_BYTES:
        raise CryptoError("keys must be 32 bytes")
    nonce = nacl.utils.random(NONCE_BYTES) if nonce is None else nonce
    if len(nonce) != NONCE_BYTES:
        raise CryptoError(f"nonce must be {NONCE_BYTES} bytes")
    return _VERSION_BYTE + nonce + nacl.secret.SecretBox(key).encrypt(plaintext, nonce).ciphertext


def _secretbox_open(key: bytes, blob: bytes) -> bytes:
    body = _versioned(blob, NONCE_BYTES + 16)
    if len(key) != KEY_BYTES:
        raise CryptoError("keys must be 32 bytes")
    try:
        return bytes(nacl.secret.SecretBox(key).decrypt(body[NONCE_BYTES:], body[:NONCE_BYTES]))
    except nacl.exceptions.CryptoError as exc:
        raise CryptoError("ciphertext refused (wrong key or altered)") from exc


def message_plaintext(content: dict[str, Any]) -> bytes:
    """The bytes that get encrypted: compact UTF-8 JSON, keys in the given order (the
    browser's ``JSON.stringify`` gives the same bytes)."""
    return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def encrypt_message(key: bytes, content: dict[str, Any], *, nonce: bytes | None = None) -> bytes:
    """Encrypt a message object under the conversation key.

    A chat message is ``{"type": "text", "text": ..., "id": CID, "from": SENDER}``:
    the client id and the sender inside the ciphertext bind it to its frame, so a
    stored ciphertext replayed under another id or sender is refused by
    :func:`decrypt_message`. ``nonce`` is for test vectors only."""
    return _secretbox(key, message_plaintext(content), nonce)


def decrypt_message(
    key: bytes,
    blob: bytes,
    *,
    expect_id: str | None = None,
    expect_from: str | None = None,
) -> dict[str, Any]:
    """Decrypt and check a message; with ``expect_*``, the inner id and sender must
    be the frame's."""
    plaintext = _secretbox_open(key, blob)
    try:
        content = json.loads(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CryptoError("decrypted message is not JSON") from exc
    if not isinstance(content, dict) or not isinstance(content.get("type"), str):
        raise CryptoError("decrypted message has no type")
    if expect_id is not None and content.get("id") != expect_id:
        raise CryptoError("message id does not match its frame (replayed or moved)")
    if expect_from is not None and content.get("from") != expect_from:
        raise CryptoError("message sender does not match its frame")
    return content


# A referral card (docs/protocol.md): these fields, in this order, each a string of at
# most this many characters, and a name. widget/src/shared/card.js checks the same.
REFERRAL_FIELDS = {
    "name": 200,
    "description": 2000,
    "phone": 20,
    "sms": 20,
    "url": 500,
    "email": 200,
    "hours": 200,
}


def referral_card(content: dict[str, Any]) -> dict[str, str] | None:
    """The card of a decrypted ``{"type": "referral", "text", "id", "from": "operator",
    "card"}`` message, checked as the chat checks it; ``None`` for any other message or
    a card that does not check out (the message's ``text`` is then all there is)."""
    card = content.get("card")
    if content.get("type") != "referral" or content.get("from") != "operator":
        return None
    if not isinstance(card, dict):
        return None
    out: dict[str, str] = {}
    for name, limit in REFERRAL_FIELDS.items():
        value = card.get(name, "")
        if not isinstance(value, str) or len(value) > limit:
            return None
        out[name] = value.strip()
    return out if out["name"] else None


@dataclass(frozen=True)
class OperatorKeys:
    """What an operator's password derives: ``auth`` goes to the server, ``wrap`` never does.

    ``wrap`` is also the operator's X25519 secret key; its public half (``public``) is
    what desk secret keys are sealed to, so a desk key can be given to an operator
    (at enrolment, at rotation) without their password."""

    auth: bytes
    wrap: bytes

    @property
    def public(self) -> bytes:
        return public_key_of(self.wrap)


def derive_operator_keys(
    password: str, salt: bytes, ops: int = KDF_OPS, mem: int = KDF_MEM
) -> OperatorKeys:
    if len(salt) != SALT_BYTES:
        raise CryptoError(f"salt must be {SALT_BYTES} bytes")
    out = nacl.pwhash.argon2id.kdf(64, password.encode("utf-8"), salt, opslimit=ops, memlimit=mem)
    return OperatorKeys(auth=out[:32], wrap=out[32:])


def wrap_desk_key(
    desk_secret: bytes,
    operator_public: bytes,
    *,
    ephemeral_secret: bytes | None = None,
    nonce: bytes | None = None,
) -> bytes:
    """The desk secret key sealed to an operator's public key (sealed-key format)."""
    return _seal(desk_secret, operator_public, ephemeral_secret, nonce)


def unwrap_desk_key(wrapped: bytes, wrap_key: bytes) -> bytes:
    try:
        return open_sealed_key(wrapped, wrap_key)
    except CryptoError as exc:
        raise CryptoError("wrapped desk key does not open with these credentials") from exc


# -- resume codes ------------------------------------------------------------------
# 16 decimal digits, shown as four groups of four: 10^16 codes, about 53 bits.
RESUME_DIGITS = 16


def new_resume_code() -> str:
    """A fresh code, ``"1234 5678 9012 3456"``, from the system's CSPRNG."""
    digits = "".join(str(secrets.randbelow(10)) for _ in range(RESUME_DIGITS))
    return " ".join(digits[i : i + 4] for i in range(0, RESUME_DIGITS, 4))


def normalise_resume_code(text: str) -> str:
    """The code's digits only; spaces, dots and dashes a person types are ignored."""
    digits = "".join(ch for ch in text if ch not in " .-\t")
    if len(digits) != RESUME_DIGITS or not digits.isascii() or not digits.isdigit():
        raise CryptoError(f"a resume code is {RESUME_DIGITS} digits")
    return digits


@dataclass(frozen=True)
class ResumeKeys:
    """What a resume code derives: ``lookup`` finds the conversation (the server keeps
    only its SHA-256), ``wrap`` opens the conversation key (never leaves the client)."""

    lookup: bytes
    wrap: bytes


def derive_resume_keys(
    code: str, salt: bytes, ops: int = KDF_OPS, mem: int = KDF_MEM
) -> ResumeKeys:
    """Argon2id (v1.3) over the code's 16 ASCII digits with the deployment's salt."""
    if len(salt) != SALT_BYTES:
        raise CryptoError(f"salt must be {SALT_BYTES} bytes")
    digits = normalise_resume_code(code).encode("ascii")
    out = nacl.pwhash.argon2id.kdf(64, digits, salt, opslimit=ops, memlimit=mem)
    return ResumeKeys(lookup=out[:32], wrap=out[32:])


def wrap_conversation_key(key: bytes, wrap: bytes, *, nonce: bytes | None = None) -> bytes:
    """``0x01 || nonce || secretbox(key, nonce, wrap)``."""
    if len(key) != KEY_BYTES:
        raise CryptoError("keys must be 32 bytes")
    return _secretbox(wrap, key, nonce)


def unwrap_conversation_key(wrapped: bytes, wrap: bytes) -> bytes:
    key = _secretbox_open(wrap, wrapped)
    if len(key) != KEY_BYTES:
        raise CryptoError("wrapped conversation key has the wrong length")
    return key
