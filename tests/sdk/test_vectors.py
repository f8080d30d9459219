"""The committed cross-language vectors (tests/vectors/crypto-v1.json), checked with PyNaCl.

The widget checks the same file (widget/test/vectors.test.mjs, run by
test_crypto_interop.py). Both reproduce every byte, and a change of one byte
anywhere in a vector makes the check fail: the mutation test proves it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pnav.sdk import crypto

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "crypto-v1.json"
b64, unb64 = crypto.b64encode, crypto.b64decode


def check_message(v: dict[str, Any]) -> None:
    key, nonce = unb64(v["key"]), unb64(v["nonce"])
    assert crypto.message_plaintext(v["content"]).decode("utf-8") == v["plaintext"]
    assert b64(crypto.encrypt_message(key, v["content"], nonce=nonce)) == v["body"]
    got = crypto.decrypt_message(
        key, unb64(v["body"]), expect_id=v["content"]["id"], expect_from=v["content"]["from"]
    )
    assert got == v["content"]


def check_sealed(v: dict[str, Any]) -> None:
    desk_secret = unb64(v["desk_secret"])
    assert b64(crypto.public_key_of(desk_secret)) == v["desk_public"]
    sealed = crypto.seal_conversation_key(
        unb64(v["key"]),
        unb64(v["desk_public"]),
        ephemeral_secret=unb64(v["ephemeral_secret"]),
        nonce=unb64(v["nonce"]),
    )
    assert b64(sealed) == v["sealed"]
    assert b64(crypto.open_sealed_key(unb64(v["sealed"]), desk_secret)) == v["key"]


def check_operator(v: dict[str, Any]) -> None:
    keys = crypto.derive_operator_keys(v["password"], unb64(v["salt"]), v["ops"], v["mem"])
    assert (b64(keys.auth), b64(keys.wrap), b64(keys.public)) == (
        v["auth"],
        v["wrap"],
        v["public"],
    )
    wrapped = crypto.wrap_desk_key(
        unb64(v["desk_secret"]),
        keys.public,
        ephemeral_secret=unb64(v["ephemeral_secret"]),
        nonce=unb64(v["nonce"]),
    )
    assert b64(wrapped) == v["wrapped_desk_key"]
    assert b64(crypto.unwrap_desk_key(unb64(v["wrapped_desk_key"]), keys.wrap)) == v["desk_secret"]


def check_resume(v: dict[str, Any]) -> None:
    keys = crypto.derive_resume_keys(v["code"], unb64(v["salt"]), v["ops"], v["mem"])
    assert (b64(keys.lookup), b64(keys.wrap)) == (v["lookup"], v["wrap"])
    wrapped = crypto.wrap_conversation_key(unb64(v["key"]), keys.wrap, nonce=unb64(v["nonce"]))
    assert b64(wrapped) == v["wrapped_key"]
    assert b64(crypto.unwrap_conversation_key(unb64(v["wrapped_key"]), keys.wrap)) == v["key"]


def check_refused(v: dict[str, Any]) -> None:
    with pytest.raises(crypto.CryptoError):
        crypto.decrypt_message(unb64(v["key"]), unb64(v["body"]))


CHECKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "messages": check_message,
    "sealed_keys": check_sealed,
    "operators": check_operator,
    "resume_codes": check_resume,
    "refused_messages": check_refused,
}


def _vectors() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(VECTORS.read_text(encoding="utf-8"))
    return data


def test_the_vectors_file_is_what_the_generator_writes() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen", VECTORS.with_name("generate.py"))
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert gen.build() == _vectors()


@pytest.mark.parametrize("section", sorted(CHECKS))
def test_python_reproduces_every_vector(section: str) -> None:
    vectors = _vectors()[section]
    assert vectors
    for v in vectors:
        CHECKS[section](v)


def _mutations(v: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The vector with one byte changed, once per field that carries bytes or text."""
    out = []
    for name, value in v.items():
        if not isinstance(value, str) or name == "why":
            continue
        bad = copy.deepcopy(v)
        try:
            raw = bytearray(unb64(value))
            if not raw:
                raise crypto.CryptoError("empty")
            raw[len(raw) // 2] ^= 0x01
            bad[name] = b64(bytes(raw))
        except crypto.CryptoError:  # text: change one character's byte
            if not value:
                continue
            i = len(value) // 2
            bad[name] = value[:i] + chr(ord(value[i]) ^ 0x01) + value[i + 1 :]
        out.append((name, bad))
    return out


@pytest.mark.parametrize("section", sorted(set(CHECKS) - {"refused_messages"}))
def test_one_changed_byte_makes_the_check_fail(section: str) -> None:
    v = _vectors()[section][0]
    mutated = _mutations(v)
    assert len(mutated) >= 3
    for name, bad in mutated:
        with pytest.raises((AssertionError, crypto.CryptoError)):
            CHECKS[section](bad)
            pytest.fail(f"{section}: changing one byte of {name!r} went unnoticed")
