"""Operator accounts and the desk key: who may unlock conversations, and how.

The desk secret key exists in plaintext only in memory: in the console of a logged-in
operator, or for the duration of one CLI command that enrols an operator or rotates
the key, or of one console request by which a supervisor rotates it (operators_api.py:
rotation and removal need no password, so the CLI and the console call the same
functions). On disk it is only ever sealed to operators' public keys (which derive from
their credentials), so giving it to an operator needs no password but theirs to open.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable

import nacl.exceptions
import nacl.pwhash.argon2id

from pnav.sdk import crypto
from pnav.sdk.store import ROLES, DeskKey, NewOperator, Operator, Store

__all__ = [
    "DeskError",
    "enrol_operator",
    "prelogin_salt",
    "remove_operator",
    "rotate_desk_key",
    "verify_login",
]

# Hash the auth key (already the output of a slow KDF) with libsodium's interactive cost.
_HASH_OPS = nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE
_HASH_MEM = nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE
_DUMMY_HASH = nacl.pwhash.argon2id.str(b"pnav-dummy", opslimit=_HASH_OPS, memlimit=_HASH_MEM)


class DeskError(ValueError):
    """An account or desk-key operation was refused; the message says why."""


def _hash_auth(auth: bytes) -> bytes:
    return bytes(nacl.pwhash.argon2id.str(auth, opslimit=_HASH_OPS, memlimit=_HASH_MEM))


def _check(auth_hash: bytes, auth: bytes) -> bool:
    try:
        return bool(nacl.pwhash.argon2id.verify(auth_hash, auth))
    except nacl.exceptions.InvalidkeyError:
        return False


def _now(check: Callable[[bytes, bytes], bool], auth_hash: bytes, auth: bytes) -> bool:
    return check(auth_hash, auth)


def verify_login(
    store: Store, username: str, auth: bytes, run: Callable[..., bool] = _now
) -> Operator | None:
    """The operator whose auth key this is, or None; as slow for unknown names as for
    known. ``run(check, auth_hash, auth)`` runs the slow check: the server passes its
    pool of real threads (abuse/slow_work.py), and the store is read here, on the
    caller's thread, so that no other thread takes the store's (gevent) lock."""
    op = store.find_operator(username)
    if op is None or op.removed:
        run(_check, _DUMMY_HASH, auth)
        return None
    return op if run(_check, op.auth_hash, auth) else None


def prelogin_salt(store: Store, secret_key: bytes, username: str) -> tuple[bytes, int, int]:
    """Salt and KDF cost for a username; unknown names get a stable, fake salt."""
    op = store.find_operator(username)
    if op is not None and not op.removed:
        return op.salt, op.kdf_ops, op.kdf_mem
    fake = hmac.new(secret_key, b"pnav.prelogin\0" + username.encode(), hashlib.sha256).digest()
    return fake[: crypto.SALT_BYTES], crypto.KDF_OPS, crypto.KDF_MEM


def _unlock(store: Store, username: str, password: str) -> dict[str, bytes]:
    op = store.find_operator(username)
    if op is None or op.removed:
        raise DeskError(f"no active operator named {username!r} to unlock the desk key")
    keys = crypto.derive_operator_keys(password, op.salt, op.kdf_ops, op.kdf_mem)
    if not _check(op.auth_hash, keys.auth):
        raise DeskError(f"wrong password for {username!r}")
    try:
        return {
            key_id: crypto.unwrap_desk_key(wrapped, keys.wrap)
            for key_id, wrapped in store.desk_key_wraps(op.id).items()
        }
    except crypto.CryptoError as exc:
        raise DeskError(f"the desk key stored for {username!r} does not open: {exc}") from exc


def enrol_operator(
    store: Store,
    username: str,
    password: str,
    role: str = "operator",
    unlock_with: tuple[str, str] | None = None,
    kdf_ops: int = crypto.KDF_OPS,
    kdf_mem: int = crypto.KDF_MEM,
) -> Operator:
    """Create an operator account and wrap the desk secret key(s) for it.

    The first operator creates the desk key pair. Every later one needs the
    credentials of an enrolled operator (``unlock_with``), since the server itself
    cannot open the desk key.
    """
    if not username or len(username) > 64 or not username.isprintable():
        raise DeskError("username must be 1-64 printable characters")
    if len(password) < 10:
        raise DeskError("password must be at least 10 characters")
    if role not in ROLES:
        raise DeskError(f"role must be one of {', '.join(ROLES)}")
    if store.find_operator(username) is not None:
        raise DeskError(f"an operator named {username!r} already exists")
    first = store.current_desk_key() is None
    if first:
        desk_secrets: dict[str, bytes] = {}
    elif unlock_with is None:
        raise DeskError(
            "the desk key exists: give an enrolled operator's credentials to unlock it "
            "(--unlock-user); the server cannot open it by itself"
        )
    else:
        desk_secrets = _unlock(store, *unlock_with)
    salt = crypto.new_salt()
    keys = crypto.derive_operator_keys(password, salt, kdf_ops, kdf_mem)
    op = store.add_operator(
        NewOperator(username, role, salt, kdf_ops, kdf_mem, _hash_auth(keys.auth), keys.public)
    )
    for key_id, secret in desk_secrets.items():
        store.put_desk_key_wrap(op.id, key_id, crypto.wrap_desk_key(secret, keys.public))
    if first:
        rotate_desk_key(store)
    return op


def rotate_desk_key(store: Store) -> DeskKey:
    """Make a new desk key pair, seal its secret half to every current operator, and
    make it the key new conversations are sealed to.

    Earlier desk keys stay as they are: open conversations remain readable by the
    operators who hold them; removed operators hold none of the new one. The new
    secret key leaves this function only sealed."""
    operators = [op for op in store.list_operators() if not op.removed]
    if not operators:
        raise DeskError("no active operator to give a new desk key to")
    pair = crypto.DeskKeyPair.generate()
    key = DeskKey(secrets.token_hex(8), pair.public, time.time())
    wraps = {op.id: crypto.wrap_desk_key(pair.secret, op.public_key) for op in operators}
    store.add_desk_key(key, wraps)
    return key


def remove_operator(store: Store, username: str) -> DeskKey:
    """Remove an operator: their login stops working, every desk key sealed to them is
    deleted, and the desk key is rotated so they can open nothing created afterwards.
    Returns the new desk key."""
    op = store.find_operator(username)
    if op is None or op.removed:
        raise DeskError(f"no active operator named {username!r}")
    if not any(o.id != op.id and not o.removed for o in store.list_operators()):
        raise DeskError(f"{username!r} is the last operator; add another one first")
    store.remove_operator(op.id)
    return rotate_desk_key(store)
