"""Write tests/vectors/crypto-v1.json: the cross-language test vectors of the v1 formats.

Every input (keys, nonces, ephemeral keys, salts, passwords, codes) is fixed, derived
from a counter, so running this again writes the same file. Python (tests/sdk/
test_vectors.py) and the widget (widget/test/vectors.test.mjs) must both reproduce
every output byte for byte.

    .venv/bin/python tests/vectors/generate.py
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pnav.sdk import crypto

OUT = Path(__file__).with_name("crypto-v1.json")
b64 = crypto.b64encode
# Small Argon2id costs keep the vectors quick to check; the formats are the same.
KDF = [(1, 8 << 20), (2, 16 << 20)]


def fixed(label: str, n: int = 32) -> bytes:
    """Deterministic bytes for a label (SHA-512 of it, cut to n)."""
    return hashlib.sha512(f"pnav-vectors-v1/{label}".encode()).digest()[:n]


def build() -> dict[str, Any]:
    texts = [
        "Bonjour, j'ai besoin d'aide.",
        'é 漢字 🙂 "quotes" \\ backslash\nnewline\ttab',
        "",
        "x" * 1000,
    ]
    messages = []

    def message(tag: str, content: dict[str, Any]) -> None:
        key, nonce = fixed(f"msg-key-{tag}"), fixed(f"msg-nonce-{tag}", crypto.NONCE_BYTES)
        messages.append(
            {
                "key": b64(key),
                "nonce": b64(nonce),
                "plaintext": crypto.message_plaintext(content).decode("utf-8"),
                "content": content,
                "body": b64(crypto.encrypt_message(key, content, nonce=nonce)),
            }
        )

    for i, text in enumerate(texts):
        sender = "person" if i % 2 == 0 else "operator"
        message(str(i), {"type": "text", "text": text, "id": f"id{i}", "from": sender})
    # A referral card (docs/protocol.md): a nested object, keys in their order.
    card = {
        "name": "3919 — Violences Femmes Info",
        "description": "Écoute, information et orientation.",
        "phone": "3919",
        "sms": "",
        "url": "https://arretonslesviolences.gouv.fr",
        "email": "",
        "hours": "24/7",
    }
    text = "3919 — Violences Femmes Info\nTéléphone : 3919"
    message(
        "referral",
        {"type": "referral", "text": text, "id": "ref0", "from": "operator", "card": card},
    )
    # A supervisor's whisper (a private note of kind "whisper", bound to its writer).
    whisper = {"type": "note", "text": "Propose-lui le 3919.", "id": "note0", "from": "alice"}
    message("note", {**whisper, "kind": "whisper"})
    sealed = []
    for i in range(2):
        desk_secret = fixed(f"desk-secret-{i}")
        key = fixed(f"conv-key-{i}")
        eph, nonce = fixed(f"seal-eph-{i}"), fixed(f"seal-nonce-{i}", crypto.NONCE_BYTES)
        sealed.append(
            {
                "key": b64(key),
                "desk_secret": b64(desk_secret),
                "desk_public": b64(crypto.public_key_of(desk_secret)),
                "ephemeral_secret": b64(eph),
                "nonce": b64(nonce),
                "sealed": b64(
                    crypto.seal_conversation_key(
                        key, crypto.public_key_of(desk_secret), ephemeral_secret=eph, nonce=nonce
                    )
                ),
            }
        )
    operators = []
    for i, (password, (ops, mem)) in enumerate(
        zip(["correct horse battery", "mot de passe é 漢字"], KDF, strict=True)
    ):
        salt = fixed(f"op-salt-{i}", crypto.SALT_BYTES)
        keys = crypto.derive_operator_keys(password, salt, ops, mem)
        desk_secret = fixed(f"desk-secret-{i}")
        eph, nonce = fixed(f"wrap-eph-{i}"), fixed(f"wrap-nonce-{i}", crypto.NONCE_BYTES)
        operators.append(
            {
                "password": password,
                "salt": b64(salt),
                "ops": ops,
                "mem": mem,
                "auth": b64(keys.auth),
                "wrap": b64(keys.wrap),
                "public": b64(keys.public),
                "desk_secret": b64(desk_secret),
                "ephemeral_secret": b64(eph),
                "nonce": b64(nonce),
                "wrapped_desk_key": b64(
                    crypto.wrap_desk_key(
                        desk_secret, keys.public, ephemeral_secret=eph, nonce=nonce
                    )
                ),
            }
        )
    resume = []
    for i, (code, (ops, mem)) in enumerate(
        zip(["0123 4567 8901 2345", "9999 0000 1111 2222"], KDF, strict=True)
    ):
        salt = fixed(f"resume-salt-{i}", crypto.SALT_BYTES)
        keys = crypto.derive_resume_keys(code, salt, ops, mem)
        key, nonce = fixed(f"conv-key-{i}"), fixed(f"resume-nonce-{i}", crypto.NONCE_BYTES)
        resume.append(
            {
                "code": code,
                "salt": b64(salt),
                "ops": ops,
                "mem": mem,
                "lookup": b64(keys.lookup),
                "wrap": b64(keys.wrap),
                "key": b64(key),
                "nonce": b64(nonce),
                "wrapped_key": b64(crypto.wrap_conversation_key(key, keys.wrap, nonce=nonce)),
            }
        )
    good = crypto.b64decode(messages[0]["body"])
    key0 = messages[0]["key"]
    refused = [
        {"why": "a flipped bit in the tag", "key": key0, "body": b64(good[:-1] + b"\x01")},
        {
            "why": "a flipped bit in the nonce",
            "key": key0,
            "body": b64(good[:5] + bytes([good[5] ^ 1]) + good[6:]),
        },
        {"why": "truncated", "key": key0, "body": b64(good[:30])},
        {"why": "unknown format version", "key": key0, "body": b64(b"\x02" + good[1:])},
        {"why": "another conversation's key", "key": messages[1]["key"], "body": b64(good)},
    ]
    return {
        "version": 1,
        "about": "pnav crypto formats v1 (docs/security.md); written by tests/vectors/generate.py",
        "messages": messages,
        "sealed_keys": sealed,
        "operators": operators,
        "resume_codes": resume,
        "refused_messages": refused,
    }


if __name__ == "__main__":
    OUT.write_text(json.dumps(build(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")
