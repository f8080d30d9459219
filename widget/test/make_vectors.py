"""Write pnav crypto v1 test vectors made with PyNaCl (libsodium).

    python3 widget/test/make_vectors.py > /tmp/vectors.json
    PNAV_VECTORS=/tmp/vectors.json node --test widget/test/

The format is documented at the top of widget/test/crypto.test.mjs.
"""

from __future__ import annotations

import base64
import json
import sys

import nacl.pwhash
import nacl.secret
import nacl.utils
from nacl.public import Box, PrivateKey


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def secretbox_v1(key: bytes, plain: bytes) -> bytes:
    nonce = nacl.utils.random(24)
    return b"\x01" + nonce + nacl.secret.SecretBox(key).encrypt(plain, nonce).ciphertext


def main() -> None:
    desk = PrivateKey.generate()
    key = nacl.utils.random(32)
    eph = PrivateKey.generate()
    nonce = nacl.utils.random(24)
    sealed = b"\x01" + bytes(eph.public_key) + nonce + Box(eph, desk.public_key).encrypt(key, nonce).ciphertext

    texts = ["Bonjour, j'ai besoin d'aide.", "é 漢字 🙂 \"quotes\" \n newline", ""]
    messages = []
    for text in texts:
        plain = json.dumps({"type": "text", "text": text}, ensure_ascii=False).encode()
        messages.append({"key": b64(key), "body": b64(secretbox_v1(key, plain)),
                         "plaintext": {"type": "text", "text": text}})

    bad = secretbox_v1(key, b'{"type":"text","text":"x"}')
    bad_messages = [
        {"key": b64(key), "body": b64(bad[:-1] + bytes([bad[-1] ^ 1]))},  # flipped bit
        {"key": b64(nacl.utils.random(32)), "body": b64(bad)},  # wrong key
        {"key": b64(key), "body": b64(b"\x02" + bad[1:])},  # unknown version
        {"key": b64(key), "body": b64(secretbox_v1(key, b"not json"))},
    ]

    operator_keys = []
    for password, ops, mem in [("correct horse battery staple", 2, 8 * 1024 * 1024),
                               ("mot de passe é", 3, 16 * 1024 * 1024)]:
        salt = nacl.utils.random(16)
        out = nacl.pwhash.argon2id.kdf(64, password.encode(), salt, opslimit=ops, memlimit=mem)
        operator_keys.append({"password": password, "salt": b64(salt), "ops": ops, "mem": mem,
                              "auth": b64(out[:32]), "wrap": b64(out[32:])})

    wrap_key = nacl.utils.random(32)
    wrapped = [{"wrap_key": b64(wrap_key), "wrapped": b64(secretbox_v1(wrap_key, bytes(desk))),
                "desk_secret": b64(bytes(desk)), "desk_public": b64(bytes(desk.public_key))}]

    json.dump({"version": 1,
               "sealed_keys": [{"desk_secret": b64(bytes(desk)), "sealed": b64(sealed), "key": b64(key)}],
               "messages": messages, "bad_messages": bad_messages,
               "operator_keys": operator_keys, "wrapped_desk_keys": wrapped},
              sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
