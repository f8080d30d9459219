"""pnav.sdk.crypto refuses anything it cannot verify."""

from __future__ import annotations

import pytest

from pnav.sdk import crypto


@pytest.fixture
def key() -> bytes:
    return crypto.new_conversation_key()


def test_message_round_trip(key: bytes) -> None:
    content = {"type": "text", "text": "Il est là. 🙁"}
    assert crypto.decrypt_message(key, crypto.encrypt_message(key, content)) == content


def test_same_plaintext_twice_gives_different_ciphertexts(key: bytes) -> None:
    content = {"type": "text", "text": "x"}
    assert crypto.encrypt_message(key, content) != crypto.encrypt_message(key, content)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda b: b[:-1] + bytes([b[-1] ^ 1]),
        lambda b: b[:20],
        lambda b: b"\x02" + b[1:],
        lambda b: b[:1] + bytes([b[1] ^ 1]) + b[2:],
        lambda b: b"",
    ],
    ids=["flipped-bit", "truncated", "version", "nonce", "empty"],
)
def test_altered_ciphertext_is_refused(key: bytes, mangle) -> None:
    blob = crypto.encrypt_message(key, {"type": "text", "text": "secret"})
    with pytest.raises(crypto.CryptoError):
        crypto.decrypt_message(key, mangle(blob))


def test_wrong_key_is_refused(key: bytes) -> None:
    blob = crypto.encrypt_message(key, {"type": "text", "text": "secret"})
    with pytest.raises(crypto.CryptoError):
        crypto.decrypt_message(crypto.new_conversation_key(), blob)


def test_sealed_key_opens_only_with_its_desk_key(key: bytes) -> None:
    desk, other = crypto.DeskKeyPair.generate(), crypto.DeskKeyPair.generate()
    sealed = crypto.seal_conversation_key(key, desk.public)
    assert crypto.open_sealed_key(sealed, desk.secret) == key
    with pytest.raises(crypto.CryptoError):
        crypto.open_sealed_key(sealed, other.secret)


def test_operator_keys_depend_on_password_and_salt() -> None:
    salt = crypto.new_salt()
    a = crypto.derive_operator_keys("correct horse", salt, 1, 8 << 20)
    assert a == crypto.derive_operator_keys("correct horse", salt, 1, 8 << 20)
    assert a.auth != a.wrap
    assert a != crypto.derive_operator_keys("correct horsf", salt, 1, 8 << 20)
    assert a != crypto.derive_operator_keys("correct horse", crypto.new_salt(), 1, 8 << 20)


def test_desk_key_wrap_round_trip_and_wrong_wrap_key() -> None:
    desk = crypto.DeskKeyPair.generate()
    wrap = crypto.new_conversation_key()
    wrapped = crypto.wrap_desk_key(desk.secret, wrap)
    assert crypto.unwrap_desk_key(wrapped, wrap) == desk.secret
    with pytest.raises(crypto.CryptoError):
        crypto.unwrap_desk_key(wrapped, crypto.new_conversation_key())


def test_non_json_plaintext_is_refused(key: bytes) -> None:
    blob = crypto._secretbox(key, b"not json")
    with pytest.raises(crypto.CryptoError):
        crypto.decrypt_message(key, blob)


def test_base64_is_strict() -> None:
    with pytest.raises(crypto.CryptoError):
        crypto.b64decode("ab-_")
