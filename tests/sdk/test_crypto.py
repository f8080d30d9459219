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
    wrapped = crypto.wrap_desk_key(desk.secret, crypto.public_key_of(wrap))
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


def test_a_message_moved_to_another_id_or_sender_is_refused(key: bytes) -> None:
    content = {"type": "text", "text": "hi", "id": "abc", "from": "person"}
    blob = crypto.encrypt_message(key, content)
    assert crypto.decrypt_message(key, blob, expect_id="abc", expect_from="person") == content
    with pytest.raises(crypto.CryptoError, match="replayed"):
        crypto.decrypt_message(key, blob, expect_id="other", expect_from="person")
    with pytest.raises(crypto.CryptoError, match="sender"):
        crypto.decrypt_message(key, blob, expect_id="abc", expect_from="operator")


def test_a_ciphertext_from_another_conversation_is_refused(key: bytes) -> None:
    other = crypto.new_conversation_key()
    blob = crypto.encrypt_message(other, {"type": "text", "text": "elsewhere"})
    with pytest.raises(crypto.CryptoError):
        crypto.decrypt_message(key, blob)


def test_resume_codes_are_16_digits_and_typing_noise_is_ignored() -> None:
    codes = {crypto.new_resume_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        groups = code.split(" ")
        assert [len(g) for g in groups] == [4, 4, 4, 4] and all(g.isdigit() for g in groups)
    assert crypto.normalise_resume_code("1234-5678 9012.3456") == "1234567890123456"
    for bad in ("123", "1234 5678 9012 345x", "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦", "12345678901234567"):
        with pytest.raises(crypto.CryptoError):
            crypto.normalise_resume_code(bad)


def test_a_resume_code_opens_the_wrapped_key_and_a_wrong_one_does_not(key: bytes) -> None:
    salt = crypto.new_salt()
    code = crypto.new_resume_code()
    keys = crypto.derive_resume_keys(code, salt, 1, 8 << 20)
    wrapped = crypto.wrap_conversation_key(key, keys.wrap)
    again = crypto.derive_resume_keys(code.replace(" ", "-"), salt, 1, 8 << 20)
    assert again == keys
    assert crypto.unwrap_conversation_key(wrapped, again.wrap) == key
    wrong = crypto.derive_resume_keys(crypto.new_resume_code(), salt, 1, 8 << 20)
    assert wrong.lookup != keys.lookup
    with pytest.raises(crypto.CryptoError):
        crypto.unwrap_conversation_key(wrapped, wrong.wrap)
    other_salt = crypto.derive_resume_keys(code, crypto.new_salt(), 1, 8 << 20)
    assert other_salt.lookup != keys.lookup
