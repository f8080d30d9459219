"""Routers (issue 5): contracts over every built-in, their choices, automatic assignment
by the server, and the person's estimated wait."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pnav.sdk.client import OperatorClient, PersonClient, Timing
from pnav.sdk.router import Candidate, LeastLoadedRouter, QueueRouter, SkillsRouter
from pnav.sdk.testing.router import RouterContract, conversation
from pnav.server import Settings, create_app
from pnav.server.routers.http import HttpRouter

FAST = Timing(ping_every=0.5, dead_after=2, min_delay=0.05, max_delay=0.5)


class FakeRoutingService:
    """The platform's own routing service, on loopback, with a chosen behaviour."""

    def __init__(self) -> None:
        self.answer: object = {"operator": None}
        self.delay = 0.0
        self.requests: list[dict[str, object]] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                service.requests.append(json.loads(self.rfile.read(length)))
                time.sleep(service.delay)
                body = (
                    service.answer
                    if isinstance(service.answer, bytes)
                    else json.dumps(service.answer).encode()
                )
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/route"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def routing_service():
    service = FakeRoutingService()
    yield service
    service.close()


class TestQueueRouter(RouterContract):
    __test__ = True

    @pytest.fixture
    def router(self):
        return QueueRouter()


class TestLeastLoadedRouter(RouterContract):
    __test__ = True

    @pytest.fixture
    def router(self):
        return LeastLoadedRouter(capacity=2)


class TestSkillsRouter(RouterContract):
    __test__ = True

    @pytest.fixture
    def router(self):
        return SkillsRouter(
            capacity=2, skills={"op1": {"languages": ["ar"]}, "op2": {"categories": ["sexual"]}}
        )


class TestHttpRouter(RouterContract):
    __test__ = True

    @pytest.fixture
    def router(self, routing_service):
        # The service names someone at random, present or not: the router must check.
        routing_service.answer = {"operator": "op1"}
        return HttpRouter(routing_service.url, timeout=1, retries=0)


def _ops(*loads: tuple[int, bool]) -> list[Candidate]:
    return [Candidate(i, f"op{i}", "operator", a, c) for i, (a, c) in enumerate(loads)]


def test_least_loaded_takes_the_freest_and_respects_capacity() -> None:
    router = LeastLoadedRouter(capacity=2)
    assert router.choose(conversation(), _ops((1, True), (0, True), (0, False))) == 1
    assert router.choose(conversation(), _ops((2, True), (2, True))) is None
    with pytest.raises(ValueError):
        LeastLoadedRouter(capacity=0)


def test_an_operators_own_capacity_wins_over_the_routers() -> None:
    router = LeastLoadedRouter(capacity=2)
    ops = [
        Candidate(0, "op0", "operator", 1, True, capacity=1),  # full at their own cap
        Candidate(1, "op1", "operator", 2, True, capacity=4),  # above the default: free
    ]
    assert router.choose(conversation(), ops) == 1
    assert SkillsRouter(capacity=2).choose(conversation(), ops) == 1
    full = [Candidate(0, "op0", "operator", 1, True, capacity=1)]
    assert router.choose(conversation(), full) is None
    assert Candidate(0, "op0", "operator", 0, True).capacity is None  # backward compatible


def test_the_server_holds_a_supervisors_cap_whatever_the_router_says(
    live_server, routing_service
) -> None:
    bob_pw = live_server.add_operator("bob")
    bob = OperatorClient.login(live_server.url, "bob", bob_pw, timing=FAST)
    first = PersonClient.start(live_server.url, "demo", live_server.origin, timing=FAST)
    bob.accept(first.conv)
    live_server.store.set_capacity(live_server.store.find_operator("bob").id, 1)
    live_server.chat.routing.router = HttpRouter(routing_service.url, timeout=1, retries=0)
    routing_service.answer = {"operator": "bob"}
    second = PersonClient.start(live_server.url, "demo", live_server.origin, timing=FAST)
    assert live_server.chat.routing.route() == 0
    assert routing_service.requests[-1]["candidates"][-1]["capacity"] == 1
    assert [c.id for c in live_server.store.waiting_conversations()] == [second.conv]


def test_skills_match_language_and_category() -> None:
    router = SkillsRouter(
        skills={"op0": {"languages": ["ar", "fr"]}, "op1": {"categories": ["sexual"]}}
    )
    ops = _ops((0, True), (0, True))
    assert router.choose(conversation(lang="ar-MA"), ops) == 0
    assert router.choose(conversation(lang="en", what="sexual"), ops) == 1
    assert router.choose(conversation(lang="en", what="domestic"), ops) is None
    fallback = SkillsRouter(skills={"op0": {"languages": ["ar"]}}, fallback=True)
    assert fallback.choose(conversation(lang="en"), _ops((0, True))) == 0
    with pytest.raises(ValueError, match="unknown keys"):
        SkillsRouter(skills={"op0": {"langs": ["ar"]}})


def test_the_http_router_asks_and_falls_back_to_the_queue(routing_service) -> None:
    ops = _ops((0, True), (1, True))
    router = HttpRouter(routing_service.url, timeout=0.5, retries=1)
    routing_service.answer = {"operator": "op1"}
    assert router.choose(conversation(), ops) == 1
    sent = routing_service.requests[-1]
    assert sent["conversation"]["what"] == "domestic"
    assert "sealed_key" not in sent["conversation"]
    routing_service.answer = {"operator": 0}
    assert router.choose(conversation(), ops) == 0
    for bad in ({"operator": "nobody"}, {"no": 1}, b"not json", [1]):
        routing_service.answer = bad
        assert router.choose(conversation(), ops) is None
    routing_service.answer = {"operator": 1}
    routing_service.delay = 1.0
    started = time.monotonic()
    assert router.choose(conversation(), ops) is None  # timed out twice
    assert time.monotonic() - started < 4
    with pytest.raises(ValueError):
        HttpRouter("ftp://example.org")


def test_settings_choose_the_router(tmp_path) -> None:
    settings = Settings.load(
        None,
        environ={"PNAV_ROUTER": "least_loaded"},
        data_dir=tmp_path,
        router_options={"capacity": 5},
    )
    app = create_app(settings, maintenance=False)
    chat = app.extensions["pnav"].chat
    router = chat.routing.router
    assert isinstance(router, LeastLoadedRouter) and router.capacity == 5
    app.extensions["pnav"].shutdown()


def test_the_server_assigns_danger_first_to_the_least_loaded(live_server) -> None:
    bob_pw = live_server.add_operator("bob")
    chat = live_server.chat
    chat.routing.router = LeastLoadedRouter(capacity=1)
    calm = PersonClient.start(live_server.url, "demo", live_server.origin, timing=FAST)
    urgent = PersonClient.start(
        live_server.url, "demo", live_server.origin, danger=True, timing=FAST
    )
    bob = OperatorClient.login(live_server.url, "bob", bob_pw, timing=FAST)
    assert chat.routing.route() == 1
    assert bob.wait("conversation", conv=urgent.conv)
    urgent.wait("status", state="active", operator="present")
    # bob is full (capacity 1): the calm conversation waits for alice.
    assert chat.routing.route() == 0
    alice = OperatorClient.login(live_server.url, "alice", live_server.password, timing=FAST)
    assert chat.routing.route() == 1
    alice.wait("conversation", conv=calm.conv)
    calm.send("hello")
    assert alice.receive().text == "hello"


def test_the_person_sees_an_estimated_wait(live_server) -> None:
    op = OperatorClient.login(live_server.url, "alice", live_server.password, timing=FAST)
    people = [
        PersonClient.start(live_server.url, "demo", live_server.origin, timing=FAST)
        for _ in range(4)
    ]
    # No conversation taken yet: no pace, no estimate.
    assert "wait_estimate" not in people[3].wait("status", state="waiting", position=4)
    for person in people[:2]:
        op.accept(person.conv)  # waits for the conversation frame
    # Two taken: the frame carries the estimate for its own position from that pace.
    frame = people[3].wait("status", state="waiting", position=2)
    expected = live_server.chat.routing.wait_estimate(2)
    assert expected is not None and frame["wait_estimate"] == expected


def test_the_estimate_is_the_pace_times_the_position(live_server) -> None:
    # One conversation taken every 30 s.
    live_server.chat.routing.assigned(1000.0)
    live_server.chat.routing.assigned(1030.0)
    people = [
        PersonClient.start(live_server.url, "demo", live_server.origin, timing=FAST)
        for _ in range(3)
    ]
    for position, person in enumerate(people, start=1):
        frame = person.wait("status", state="waiting", position=position)
        assert frame["wait_estimate"] == 30 * position
