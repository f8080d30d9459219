"""Floods from one address while real conversations go on (issue 15, item 7): a ticket
replay flood, a message flood, a login burst and a resume-code burst, each against
``pnav serve`` and against the documented two-worker deployment (conftest.py), with
the shipped limits (docs/deploy.md, "Abuse limits").

The attacker runs in its own process, writes from its own loopback address (127.0.0.2)
and spreads its tries over every worker, so a limit that one process counted alone
would let it through.
Meanwhile six honest pairs keep delivering both ways (p99 under a second, nothing lost),
a newcomer gets ``welcome`` within a second, no process goes over the memory bound, and
the attacker meets its limit with a clear error.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent import futures
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from deployments import LOGINS_PER_ADDRESS, MEMORY_BOUND_MIB, PARTNER, Deployment, post
from fakes.person_socket import solve_proof_of_work, start

from pnav.sdk import crypto
from pnav.sdk.testing import HonestFloor

T = TypeVar("T")

# Shipped defaults (pnav.server.settings), which the attacks below exhaust.
CONVERSATIONS_PER_ADDRESS = 20
TICKETS_PER_ADDRESS = 30
MESSAGES_PER_CONVERSATION = 30
LOGINS_PER_ACCOUNT = 10
RESUME_CODES_PER_ADDRESS = 10


@pytest.fixture(scope="module")
def attacker() -> Iterator[ProcessPoolExecutor]:
    """The attacker's own process (started once): what it computes (proofs of work, say)
    takes nothing from the honest clients' interpreter, as on another machine."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        pool.submit(int).result()  # started and waiting before any attack
        yield pool


def under_attack(
    attacker: ProcessPoolExecutor, server: Deployment, attack: Callable[[Deployment], T]
) -> tuple[T, HonestFloor]:
    """Run ``attack(server)`` in the attacker's process while six honest pairs write
    back and forth and a newcomer opens the chat; check what the honest people got and
    the memory bound. The attack's result, and the floor (still open: the caller
    closes it)."""
    floor = HonestFloor(server.url, "demo", PARTNER, "alice", server.password)
    running = attacker.submit(attack, server)
    try:
        floor.round(0)
        welcome = floor.welcome_time()  # while the attack runs
        rounds = 1
        while not running.done() or rounds < 3:
            floor.round(rounds)  # raises if a message is lost or changed
            rounds += 1
            assert rounds < 200, "the attack did not end"
        result = running.result()  # the attack's own assertion errors, if any
        assert welcome < 1.0, f"welcome after {welcome:.3f}s under attack"
        p99 = floor.percentile(0.99)
        assert p99 < 1.0, f"honest p99 {p99:.3f}s under attack ({len(floor.latencies)} deliveries)"
        peak = server.peak_rss_mib()
        assert max(peak.values()) < MEMORY_BOUND_MIB, f"peak MiB by process: {peak}"
    except BaseException:
        futures.wait([running], 60)  # the attacker's process is free for the next test
        floor.close()
        raise
    return result, floor


def _ticket(server: Deployment, worker: int) -> tuple[int, Any]:
    return post(server.http_on(worker), "/api/ticket", {"partner": "demo"})


def _new_conversation(server: Deployment, info: dict[str, Any], worker: int) -> dict[str, Any]:
    """A hello that opens a conversation with ``info``'s ticket (its proof of work
    solved), on a new socket served by ``worker``; the answer."""
    sock = server.socket_on(worker)
    pow_ = solve_proof_of_work(info["pow"])
    answer = sock.ask({"t": "hello", "ticket": info["ticket"], "start": start(info), "pow": pow_})
    assert answer is not None, "no answer to hello"
    if answer["t"] == "error":
        # refused with a reason; the socket stays open but after a bad ticket
        assert answer["code"] == "bad_ticket" or sock.ask({"t": "ping"}) == {"v": 1, "t": "pong"}
    sock.close()
    return answer


def flood_tickets(server: Deployment) -> dict[str, Any]:
    """The attack of test_ticket_flood (in the attacker's process)."""
    status, info = _ticket(server, 0)
    assert status == 200
    first = _new_conversation(server, info, 0)
    assert first["t"] == "welcome"
    replays = [_new_conversation(server, info, n)["code"] for n in range(1, 7)]
    convs, refusal = [first["conv"]], None
    for n in range(CONVERSATIONS_PER_ADDRESS + 5):
        status, info = _ticket(server, n)
        assert status == 200, info
        answer = _new_conversation(server, info, n)
        if answer["t"] != "welcome":
            refusal = answer
            break
        convs.append(answer["conv"])
    tickets = [_ticket(server, n) for n in range(TICKETS_PER_ADDRESS - len(convs))]
    return {"convs": convs, "replays": replays, "refusal": refusal, "tickets": tickets}


def test_ticket_flood(attacker: ProcessPoolExecutor, server: Deployment) -> None:
    """One ticket replayed opens one conversation; fresh tickets from one address open
    conversations up to its limit, and tickets stop at theirs."""
    got, floor = under_attack(attacker, server, flood_tickets)
    assert got["replays"] == ["bad_ticket"] * 6
    assert len(set(got["convs"])) == CONVERSATIONS_PER_ADDRESS
    refusal = got["refusal"]
    assert refusal is not None and refusal["code"] == "rate_limited", refusal
    assert refusal["limit"] == "conversations_per_address" and refusal["retry_after"] > 0
    # The tickets asked so far (one each conversation, the refused one's, the replayed
    # one) reach the ticket limit exactly: the last one is refused with a reason.
    statuses = [status for status, _ in got["tickets"]]
    assert statuses[-1] == 429 and set(statuses[:-1]) == {200}, statuses
    assert "too many chats" in got["tickets"][-1][1]["error"]
    # A supervisor clears the fakes in one action; the honest pairs go on.
    supervisor = floor.op
    supervisor._link.send({"t": "close_abuse", "convs": got["convs"]})
    cleared = supervisor.wait("closed_abuse", timeout=30)
    assert sorted(cleared["closed"]) == sorted(got["convs"]) and cleared["skipped"] == 0
    floor.round(99)
    floor.close()


BATCH = 20  # messages sent at once, then their answers read


def flood_messages(server: Deployment) -> tuple[Counter[str], list[int], set[str]]:
    """The attack of test_message_flood (in the attacker's process)."""
    body = crypto.b64encode(b"\x01" + os.urandom(24 + 16 + 40))
    status, info = _ticket(server, 0)
    assert status == 200
    sock = server.socket_on(0)
    pow_ = solve_proof_of_work(info["pow"])
    welcome = sock.ask({"t": "hello", "ticket": info["ticket"], "start": start(info), "pow": pow_})
    assert welcome is not None and welcome["t"] == "welcome", welcome
    answers: Counter[str] = Counter()
    seqs: list[int] = []
    limits: set[str] = set()
    for n in range(3):  # 60 messages for a limit of 30
        if n:
            sock.close()
            sock = server.socket_on(n)
            resume = {"token": welcome["token"], "after": max(seqs, default=0)}
            again = sock.ask({"t": "hello", "resume": resume})
            assert again is not None and again["t"] == "welcome", again
        for i in range(BATCH):
            sock.send({"t": "msg", "id": f"f{n}-{i}", "body": body})
        for _ in range(BATCH):
            frame = sock.receive()
            while frame is not None and frame["t"] == "status":
                frame = sock.receive()
            assert frame is not None, "a message got no answer"
            if frame["t"] == "ack":
                seqs.append(frame["seq"])
                answers["ack"] += 1
            else:
                answers[frame["code"]] += 1
                limits.add(frame.get("limit", ""))
    assert sock.ask({"t": "ping"}) == {"v": 1, "t": "pong"}  # still open
    sock.close()
    return answers, seqs, limits


def test_message_flood(attacker: ProcessPoolExecutor, server: Deployment) -> None:
    """A conversation floods messages from sockets on every worker (it resumes on the
    next one by its token): the conversation's limit counts them all."""
    (answers, seqs, limits), floor = under_attack(attacker, server, flood_messages)
    floor.close()
    assert answers == {"ack": MESSAGES_PER_CONVERSATION, "rate_limited": 3 * BATCH - 30}
    assert limits == {"messages_per_conversation"}
    assert sorted(seqs) == list(range(seqs[0], seqs[0] + MESSAGES_PER_CONVERSATION))


ON_ACCOUNT = LOGINS_PER_ACCOUNT + 2  # wrong passwords for alice
OTHER_NAMES = LOGINS_PER_ADDRESS - ON_ACCOUNT + 2  # then other names, same address


def _login(server: Deployment, worker: int, username: str) -> tuple[int, Any]:
    auth = crypto.b64encode(os.urandom(32))
    return post(server.http_on(worker), "/console/api/login", {"username": username, "auth": auth})


def burst_logins(server: Deployment) -> tuple[list[tuple[int, Any]], list[tuple[int, Any]]]:
    """The attack of test_login_burst (in the attacker's process): eight at once."""
    with ThreadPoolExecutor(8) as pool:
        account = list(pool.map(lambda n: _login(server, n, "alice"), range(ON_ACCOUNT)))
        names = list(pool.map(lambda n: _login(server, n, f"x{n}"), range(OTHER_NAMES)))
    return account, names


def test_login_burst(attacker: ProcessPoolExecutor, server: Deployment) -> None:
    """Wrong passwords for one account, eight at once over every worker: ten are
    checked, the rest refused unchecked; then other names from the same address until
    the address's limit."""
    (account, names), floor = under_attack(attacker, server, burst_logins)
    floor.close()
    statuses = Counter(status for status, _ in account)
    assert statuses == {401: LOGINS_PER_ACCOUNT, 429: ON_ACCOUNT - LOGINS_PER_ACCOUNT}
    refused = [answer["error"] for status, answer in account if status == 429]
    assert all(e.startswith("too many wrong passwords for this account") for e in refused)
    statuses = Counter(status for status, _ in names)
    assert statuses == {401: OTHER_NAMES - 2, 429: 2}
    refused = [answer["error"] for status, answer in names if status == 429]
    assert all(e.startswith("too many login attempts from this network") for e in refused)


CODE_TRIES = RESUME_CODES_PER_ADDRESS + 6


def burst_resume_codes(server: Deployment) -> list[dict[str, Any] | None]:
    """The attack of test_resume_code_burst (in the attacker's process): every socket
    open first, then every wrong code at once."""
    socks = [server.socket_on(n) for n in range(CODE_TRIES)]
    for s in socks:
        s.send({"t": "hello", "code": {"lookup": crypto.b64encode(os.urandom(32))}})
    answers = [s.receive() for s in socks]
    for s, answer in zip(socks, answers, strict=True):
        if answer is not None and answer["t"] == "error":
            assert s.ask({"t": "ping"}) == {"v": 1, "t": "pong"}  # still open
        s.close()
    return answers


def test_resume_code_burst(attacker: ProcessPoolExecutor, server: Deployment) -> None:
    """Wrong resume codes from one address, all at once over every worker: ten are
    looked up, the rest refused; another address is not locked out."""
    answers, floor = under_attack(attacker, server, burst_resume_codes)
    floor.close()
    codes = Counter(a["code"] if a else "none" for a in answers)
    assert codes == {"bad_code": RESUME_CODES_PER_ADDRESS, "rate_limited": 6}, codes
    limits = {a["limit"] for a in answers if a and a["code"] == "rate_limited"}
    assert limits == {"resume_codes_per_address"}
    # Someone on another network still has every try.
    elsewhere = server.socket_on(0, source="127.0.0.1")
    lookup = crypto.b64encode(os.urandom(32))
    assert elsewhere.ask({"t": "hello", "code": {"lookup": lookup}})["code"] == "bad_code"
    elsewhere.close()
