"""Referral messages on the Python side: the card is checked as the chat checks it, and a
card an operator sends reaches the person with its plain-text form, through a live server
that sees only ciphertext."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pnav.sdk import crypto

VECTORS = Path(__file__).resolve().parent.parent / "vectors" / "crypto-v1.json"


def _vector_card() -> dict[str, Any]:
    messages = json.loads(VECTORS.read_text(encoding="utf-8"))["messages"]
    (content,) = [m["content"] for m in messages if m["content"]["type"] == "referral"]
    result: dict[str, Any] = content
    return result


def test_the_vector_s_card_checks_out() -> None:
    content = _vector_card()
    assert crypto.referral_card(content) == content["card"]


@pytest.mark.parametrize(
    "change",
    [
        {"type": "text"},
        {"from": "person"},
        {"card": "3919"},
        {"card": {"name": ""}},
        {"card": {"name": "17", "phone": 17}},
        {"card": {"name": "17", "url": "x" * 501}},
    ],
)
def test_anything_else_is_no_card(change: dict[str, Any]) -> None:
    assert crypto.referral_card(_vector_card() | change) is None


def test_missing_fields_are_empty_and_unknown_ones_dropped() -> None:
    content = _vector_card() | {"card": {"name": " 17 ", "script": "<b>"}}
    assert crypto.referral_card(content) == {
        "name": "17",
        "description": "",
        "phone": "",
        "sms": "",
        "url": "",
        "email": "",
        "hours": "",
    }


def test_a_card_reaches_the_person_with_its_text(clients: Any, live_server: Any) -> None:
    op = clients.login()
    person = clients.accepted(op)
    card = _vector_card()["card"]
    seq = op.send_referral(person.conv, card, "3919 — Violences Femmes Info\nTéléphone : 3919")
    got = person.receive()
    assert (got.seq, got.sender, got.card) == (seq, "operator", card)
    assert got.text == "3919 — Violences Femmes Info\nTéléphone : 3919"
    (stored,) = live_server.store.messages_after(person.conv, seq - 1)
    assert b"3919" not in stored.body  # the server holds ciphertext only
    # An ordinary reply carries no card.
    op.send(person.conv, "hello")
    assert person.receive().card is None
    person.close()
    op.close()
