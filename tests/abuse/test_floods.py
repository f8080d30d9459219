"""Floods from one address while real conversations go on (issue 15, item 7): a ticket
replay flood, a message flood, a login burst and a resume-code burst, each against
``pnav serve`` and against the documented two-worker deployment (conftest.py), with
the shipped limits (docs/deploy.md, "Abuse limits").

The attacker writes from its own loopback address (127.0.0.2) and spreads its tries
over every worker, so a limit that one process counted alone would let it through.
Meanwhile six honest pairs keep delivering both ways (p99 under a second, nothing lost),
a newcomer gets ``welcome`` within a second, no process goes over the memory bound, and
the attacker meets its limit with a clear error.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from deployments import MEMORY_BOUND_MIB, PARTNER, Deployment, post
from fakes.person_socket import solve_proof_of_work, start

from pnav.sdk import crypto
from pnav.sdk.testing import HonestFloor

T = TypeVar("T")

# Shipped defaults (pnav.server.settings), which the attacks below exhaust.
CONVERSATIONS_PER_ADDRESS = 20
TICKETS_PER_ADDRESS = 30
MESSAGES_PER_CONVERSATION = 30
LOGINS_PER_ACCOUNT = 10
LOGINS_PER_ADDRESS = 30
RESUME_CODES_PER_ADDRESS = 10


def under_attack(server: Deployment, attack: Callable[[], T]) -> tuple[T, HonestFloor]:
    """Run ``attack`` on its own thread while six honest pairs write back and forth and
    a newcomer opens the chat; check what the honest people got and the memory bound.
    The attack's result, and the floor (still open: the caller closes it)."""
    floor = HonestFloor(server.url, "demo", PARTNER, "alice", server.password)
    result: list[T] = []
    errors: list[BaseException] = []

    def body() -> None:
        try:
            result.append(attack())
        except BaseException as exc:  # re-raised below
            errors.append(exc)

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    try:
        floor.round(0)
        welcome = floor.welcome_time()  # while the attack runs
        rounds = 1
        while thread.is_alive() or rounds < 3:
            floor.round(rounds)  # raises if a message is lost or changed
            rounds += 1
            assert rounds < 200, "the attack did not end"
        thread.join()
        if errors:
            raise errors[0]
        assert welcome < 1.0, f"welcome after {welcome:.3f}s under attack"
        p99 = floor.percentile(0.99)
        assert p99 < 1.0, f"honest p99 {p99:.3f}s under attack ({len(floor.latencies)} deliveries)"
        peak = server.peak_rss_mib()
        assert max(peak.values()) < MEMORY_BOUND_MIB, f"peak MiB by process: {peak}"
    except BaseException:
        floor.close()
        raise
    return result[0], floor


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


def test_ticket_flood(server: Deployment) -> None:
    """One ticket replayed opens one conversation; fresh tickets from one address open
    conversations up to its limit, and tickets stop at theirs."""

    def flood() -> dict[str, Any]:
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

    got, floor = under_attack(server, flood)
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


def test_message_flood(server: Deployment) -> None:
    """A conversation floods messages from sockets on every worker (it resumes on the
    next one by its token): the conversation's limit counts them all."""
    body = crypto.b64encode(b"\x01" + os.urandom(24 + 16 + 40))
    batch = 20

    def flood() -> tuple[Counter[str], list[int], set[str]]:
        status, info = _ticket(server, 0)
        assert status == 200
        sock = server.socket_on(0)
        pow_ = solve_proof_of_work(info["pow"])
        welcome = sock.ask(
            {"t": "hello", "ticket": info["ticket"], "start": start(info), "pow": pow_}
        )
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
            for i in range(batch):  # all at once, then the answers
                sock.send({"t": "msg", "id": f"f{n}-{i}", "body": body})
            for _ in range(batch):
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

    (answers, seqs, limits), floor = under_attack(server, flood)
    floor.close()
    assert answers == {"ack": MESSAGES_PER_CONVERSATION, "rate_limited": 3 * batch - 30}
    assert limits == {"messages_per_conversation"}
    assert sorted(seqs) == list(range(seqs[0], seqs[0] + MESSAGES_PER_CONVERSATION))


def _login(server: Deployment, worker: int, username: str) -> tuple[int, Any]:
    auth = crypto.b64encode(os.urandom(32))
    return post(server.http_on(worker), "/console/api/login", {"username": username, "auth": auth})


def test_login_burst(server: Deployment) -> None:
    """Wrong passwords for one account, eight at once over every worker: ten get their
    answer, the rest are refused unchecked; then other names from the same address
    until the address's limit."""
    on_account = LOGINS_PER_ACCOUNT + 6
    other_names = LOGINS_PER_ADDRESS - on_account + 2

    def burst() -> tuple[list[tuple[int, Any]], list[tuple[int, Any]]]:
        with ThreadPoolExecutor(8) as pool:
            account = list(pool.map(lambda n: _login(server, n, "alice"), range(on_account)))
            names = list(pool.map(lambda n: _login(server, n, f"x{n}"), range(other_names)))
        return account, names

    (account, names), floor = under_attack(server, burst)
    floor.close()
    statuses = Counter(status for status, _ in account)
    assert statuses == {401: LOGINS_PER_ACCOUNT, 429: on_account - LOGINS_PER_ACCOUNT}
    refused = [answer["error"] for status, answer in account if status == 429]
    assert all(e.startswith("too many wrong passwords for this account") for e in refused)
    statuses = Counter(status for status, _ in names)
    assert statuses == {401: other_names - 2, 429: 2}
    refused = [answer["error"] for status, answer in names if status == 429]
    assert all(e.startswith("too many login attempts from this network") for e in refused)


def test_resume_code_burst(server: Deployment) -> None:
    """Wrong resume codes from one address, all at once over every worker: ten are
    looked up, the rest refused; another address is not locked out."""
    tries = RESUME_CODES_PER_ADDRESS + 6

    def burst() -> list[dict[str, Any] | None]:
        socks = [server.socket_on(n) for n in range(tries)]
        for s in socks:
            s.send({"t": "hello", "code": {"lookup": crypto.b64encode(os.urandom(32))}})
        answers = [s.receive() for s in socks]
        for s, answer in zip(socks, answers, strict=True):
            if answer is not None and answer["t"] == "error":
                assert s.ask({"t": "ping"}) == {"v": 1, "t": "pong"}  # still open
            s.close()
        return answers

    answers, floor = under_attack(server, burst)
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
