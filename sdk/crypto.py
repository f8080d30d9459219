"""The pnav crypto formats (v1), in Python; the browser twin is widget/src/shared/crypto.js.

Both produce and accept the same bytes (docs/protocol.md, "Crypto formats"). Every
function here raises :class:`CryptoError` rather than return anything unverified.
"""

from __future__ import annotations

import base64
import binascii
import json
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
    "CryptoError",
    "DeskKeyPair",
    "OperatorKeys",
    "b64decode",
    "b64encode",
    "decrypt_message",
    "derive_operator_keys",
    "encrypt_message",
    "new_conversation_key",
    "new_salt",
    "open_sealed_key",
    "seal_conversation_key",
    "unwrap_desk_key",
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


def seal_conversation_key(key: bytes, desk_public: bytes) -> bytes:
    """``0x01 || eph_pk || nonce || box(key)``: only the desk secret key opens it."""
    if len(key) != KEY_BYTES or len(desk_public) != KEY_BYTES:
        raise CryptoError("keys must be 32 bytes")
    eph = nacl.public.PrivateKey.generate()
    box = nacl.public.Box(eph, nacl.public.PublicKey(desk_public))
    nonce = nacl.utils.random(NONCE_BYTES)
    ct = box.encrypt(key, nonce).ciphertext
    return _VERSION_BYTE + bytes(eph.public_key) + nonce + ct


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


def _secretbox(key: bytes, plaintext: bytes) -> bytes:
    nonce = nacl.utils.random(NONCE_BYTES)
    return _VERSION_BYTE + nonce + nacl.secret.SecretBox(key).encrypt(plaintext, nonce).ciphertext


def _secretbox_open(key: bytes, blob: bytes) -> bytes:
    body = _versioned(blob, NONCE_BYTES + 16)
    try:
        return bytes(nacl.secret.SecretBox(key).decrypt(body[NONCE_BYTES:], body[:NONCE_BYTES]))
    except nacl.exceptions.CryptoError as exc:
        raise CryptoError("ciphertext refused (wrong key or altered)") from exc


def encrypt_message(key: bytes, content: dict[str, Any]) -> bytes:
    """Encrypt a message object (``{"type": "text", "text": ...}``) under the conversation key."""
    return _secretbox(key, json.dumps(content, ensure_ascii=False).encode("utf-8"))


def decrypt_message(key: bytes, blob: bytes) -> dict[str, Any]:
    plaintext = _secretbox_open(key, blob)
    try:
        content = json.loads(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CryptoError("decrypted message is not JSON") from exc
    if not isinstance(content, dict) or not isinstance(content.get("type"), str):
        raise CryptoError("decrypted message has no type")
    return content


@dataclass(frozen=True)
class OperatorKeys:
    """What an operator's password derives: ``auth`` goes to the server, ``wrap`` never does."""

    auth: bytes
    wrap: bytes


def derive_operator_keys(
    password: str, salt: bytes, ops: int = KDF_OPS, mem: int = KDF_MEM
) -> OperatorKeys:
    if len(salt) != SALT_BYTES:
        raise CryptoError(f"salt must be {SALT_BYTES} bytes")
    out = nacl.pwhash.argon2id.kdf(64, password.encode("utf-8"), salt, opslimit=ops, memlimit=mem)
    return OperatorKeys(auth=out[:32], wrap=out[32:])


def wrap_desk_key(desk_secret: bytes, wrap_key: bytes) -> bytes:
    return _secretbox(wrap_key, desk_secret)


def unwrap_desk_key(wrapped: bytes, wrap_key: bytes) -> bytes:
    secret = _secretbox_open(wrap_key, wrapped)
    if len(secret) != KEY_BYTES:
        raise CryptoError("wrapped desk key has the wrong length")
    return secret
