"""Chromium's "encrypted" profile values on Linux without a keyring, opened as an examiner would.

With no desktop keyring (servers, headless runs, many minimal desktops) Chromium
encrypts cookie values and saved passwords as ``v10`` + AES-128-CBC under a key
derived from the fixed password ``peanuts`` (salt ``saltysalt``, one PBKDF2-SHA1
round, IV of 16 spaces): anyone can open them, so the trace scan does too. The same
"local key" also encrypts the records of the session-restore files in
``Sessions_Encrypted/``. ``v11`` values use a password kept in the desktop keyring;
when the keyring gave Chromium an empty one, the key is derived from the empty
password, which is tried too. A real keyring's password is out of reach here, as are
other platforms' keys.

Only AES decryption is needed, in pure Python: the standard library has no AES and
this runs on a handful of short values.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

__all__ = ["aes128_decrypt_block", "open_local", "open_v10"]

_V10_KEY = hashlib.pbkdf2_hmac("sha1", b"peanuts", b"saltysalt", 1, 16)
_EMPTY_KEY = hashlib.pbkdf2_hmac("sha1", b"", b"saltysalt", 1, 16)
_IV = b" " * 16


def _xtime(a: int) -> int:
    a <<= 1
    return (a ^ 0x11B) if a & 0x100 else a


def _mul(a: int, b: int) -> int:
    out = 0
    while b:
        if b & 1:
            out ^= a
        a, b = _xtime(a), b >> 1
    return out


def _sbox() -> list[int]:
    box = []
    for x in range(256):
        inv = next((y for y in range(1, 256) if _mul(x, y) == 1), 0)
        s = inv
        for shift in range(1, 5):
            s ^= ((inv << shift) | (inv >> (8 - shift))) & 0xFF
        box.append(s ^ 0x63)
    return box


_SBOX = _sbox()
_INV_SBOX = [0] * 256
for _i, _s in enumerate(_SBOX):
    _INV_SBOX[_s] = _i
_MUL = {k: [_mul(x, k) for x in range(256)] for k in (9, 11, 13, 14)}


@lru_cache(maxsize=8)
def _round_keys(key: bytes) -> list[list[int]]:
    words = [list(key[i : i + 4]) for i in range(0, 16, 4)]
    rcon = 1
    for i in range(4, 44):
        w = list(words[i - 1])
        if i % 4 == 0:
            w = [_SBOX[b] for b in w[1:] + w[:1]]
            w[0] ^= rcon
            rcon = _xtime(rcon)
        words.append([a ^ b for a, b in zip(words[i - 4], w, strict=True)])
    return [[b for w in words[r * 4 : r * 4 + 4] for b in w] for r in range(11)]


def aes128_decrypt_block(key: bytes, block: bytes) -> bytes:
    """FIPS-197's inverse cipher for one 16-byte block (state in column order)."""
    keys = _round_keys(key)
    s = [b ^ k for b, k in zip(block, keys[10], strict=True)]
    for rnd in range(9, -1, -1):
        # InvShiftRows: row r of column c comes from column c - r.
        s = [s[((c - r) % 4) * 4 + r] for c in range(4) for r in range(4)]
        s = [_INV_SBOX[b] ^ k for b, k in zip(s, keys[rnd], strict=True)]
        if rnd:
            m9, m11, m13, m14 = _MUL[9], _MUL[11], _MUL[13], _MUL[14]
            mixed = []
            for c in range(4):
                a0, a1, a2, a3 = s[c * 4 : c * 4 + 4]
                mixed += [
                    m14[a0] ^ m11[a1] ^ m13[a2] ^ m9[a3],
                    m9[a0] ^ m14[a1] ^ m11[a2] ^ m13[a3],
                    m13[a0] ^ m9[a1] ^ m14[a2] ^ m11[a3],
                    m11[a0] ^ m13[a1] ^ m9[a2] ^ m14[a3],
                ]
            s = mixed
    return bytes(s)


def open_v10(value: bytes) -> bytes | None:
    """The plaintext of a ``v10`` value (cookies add SHA-256 of the host in front), or
    None when it is not one or does not open under the fixed key."""
    if not value.startswith(b"v10"):
        return None
    return _cbc_open(_V10_KEY, value[3:])


def open_local(value: bytes) -> bytes | None:
    """The plaintext of a value Chromium encrypted with a local key an examiner can
    derive: ``v10`` under the fixed key, ``v11`` under the fixed or the empty-password
    key; None otherwise."""
    prefix, body = value[:3], value[3:]
    keys = {b"v10": (_V10_KEY,), b"v11": (_V10_KEY, _EMPTY_KEY)}.get(prefix, ())
    for key in keys:
        opened = _cbc_open(key, body)
        if opened is not None:
            return opened
    return None


def _cbc_open(key: bytes, body: bytes) -> bytes | None:
    if not body or len(body) % 16:
        return None
    out, prev = bytearray(), _IV
    for at in range(0, len(body), 16):
        block = body[at : at + 16]
        out += bytes(a ^ b for a, b in zip(aes128_decrypt_block(key, block), prev, strict=True))
        prev = block
    pad = out[-1]
    if not 1 <= pad <= 16 or out[-pad:] != bytes([pad]) * pad:
        return None
    return bytes(out[:-pad])
