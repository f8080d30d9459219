"""Python (PyNaCl) and the widget's crypto module (tweetnacl + hash-wasm) agree on every byte."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from pnav.sdk import crypto

ROOT = Path(__file__).resolve().parents[2]
WIDGET = ROOT / "widget"
b64 = crypto.b64encode


def _python_vectors() -> dict[str, object]:
    desk = crypto.DeskKeyPair.generate()
    key = crypto.new_conversation_key()
    texts = ["Bonjour, j'ai besoin d'aide.", 'é 漢字 🙂 "quotes" \n newline', ""]
    messages = [
        {
            "key": b64(key),
            "body": b64(crypto.encrypt_message(key, {"type": "text", "text": t})),
            "plaintext": {"type": "text", "text": t},
        }
        for t in texts
    ]
    good = crypto.encrypt_message(key, {"type": "text", "text": "x"})
    bad = [
        good[:-1] + bytes([good[-1] ^ 1]),  # a flipped bit
        good[:30],  # truncated
        b"\x02" + good[1:],  # an unknown format version
    ]
    other_key = crypto.new_conversation_key()
    operator_keys = []
    for password, ops, mem in [
        ("correct horse battery", 2, 8 << 20),
        ("mot de passe é", 3, 16 << 20),
    ]:
        salt = crypto.new_salt()
        derived = crypto.derive_operator_keys(password, salt, ops, mem)
        operator_keys.append(
            {
                "password": password,
                "salt": b64(salt),
                "ops": ops,
                "mem": mem,
                "auth": b64(derived.auth),
                "wrap": b64(derived.wrap),
            }
        )
    wrap = crypto.new_conversation_key()
    return {
        "version": 1,
        "sealed_keys": [
            {
                "desk_secret": b64(desk.secret),
                "sealed": b64(crypto.seal_conversation_key(key, desk.public)),
                "key": b64(key),
            }
        ],
        "messages": messages,
        "bad_messages": [{"key": b64(key), "body": b64(b)} for b in bad]
        + [{"key": b64(other_key), "body": b64(good)}],
        "operator_keys": operator_keys,
        "wrapped_desk_keys": [
            {
                "wrap_key": b64(wrap),
                "wrapped": b64(crypto.wrap_desk_key(desk.secret, crypto.public_key_of(wrap))),
                "desk_secret": b64(desk.secret),
                "desk_public": b64(desk.public),
            }
        ],
    }


def _node_tests(node: str, env: dict[str, str], events: Path) -> list[dict[str, Any]]:
    """Run the widget's Node tests; one record per finished test, read from the events
    reporter's JSON lines (widget/tools/test-events.mjs), not from Node's printed output."""
    run = subprocess.run(
        [node, "--test", "--test-reporter=./tools/test-events.mjs",
         f"--test-reporter-destination={events}", "--test-reporter=spec",
         "--test-reporter-destination=stdout", "test/"],
        cwd=WIDGET, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    results = [json.loads(line) for line in events.read_text().splitlines()]
    failed = [r["name"] for r in results if r["outcome"] == "fail"]
    assert results and not failed and run.returncode == 0, (failed, run.stdout + run.stderr)
    return results


def test_widget_crypto_and_python_crypto_interoperate(tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node, "Node.js is needed for the widget tests"
    assert (WIDGET / "node_modules").is_dir(), "run scripts/setup.sh first (npm ci in widget/)"
    ours, theirs = tmp_path / "python.json", tmp_path / "js.json"
    ours.write_text(json.dumps(_python_vectors(), ensure_ascii=False))
    env = dict(os.environ, PNAV_VECTORS=str(ours), PNAV_VECTORS_OUT=str(theirs))
    results = _node_tests(node, env, tmp_path / "node-tests.jsonl")
    skipped = [r["name"] for r in results if r["outcome"] == "skip"]
    assert skipped == [], skipped
    passed = {r["name"] for r in results if r["outcome"] == "pass"}
    # The Python-made vectors were read, the JS-made ones written, and the committed
    # byte-exact vectors (tests/vectors/crypto-v1.json) ran in Node too.
    for name in (
        "cross-language vectors",
        "write JS-made vectors for the Python side",
        "the widget reproduces every resume_codes vector",
        "one changed byte in any field of a vector makes its check fail",
    ):
        assert name in passed, sorted(passed)

    js = json.loads(theirs.read_text())
    for v in js["sealed_keys"]:
        opened = crypto.open_sealed_key(
            crypto.b64decode(v["sealed"]), crypto.b64decode(v["desk_secret"])
        )
        assert opened == crypto.b64decode(v["key"])
    for v in js["messages"]:
        key = crypto.b64decode(v["key"])
        assert crypto.decrypt_message(key, crypto.b64decode(v["body"])) == v["plaintext"]
    for v in js["operator_keys"]:
        derived = crypto.derive_operator_keys(
            v["password"], crypto.b64decode(v["salt"]), v["ops"], v["mem"]
        )
        assert (b64(derived.auth), b64(derived.wrap)) == (v["auth"], v["wrap"])
    for v in js["wrapped_desk_keys"]:
        secret = crypto.unwrap_desk_key(
            crypto.b64decode(v["wrapped"]), crypto.b64decode(v["wrap_key"])
        )
        assert secret == crypto.b64decode(v["desk_secret"])
    for v in js["resume_codes"]:
        keys = crypto.derive_resume_keys(v["code"], crypto.b64decode(v["salt"]), v["ops"], v["mem"])
        assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", v["code"])
        assert b64(keys.lookup) == v["lookup"]
        key = crypto.unwrap_conversation_key(crypto.b64decode(v["wrapped_key"]), keys.wrap)
        assert key == crypto.b64decode(v["key"])
