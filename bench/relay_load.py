"""The load clients of bench/relay.py: one asyncio process speaking pnav's protocol frames
(or plain echo) over the `websockets` library, driven by commands from the parent.

Each process holds its share of the people and the operators (an operator accepts only
its own process's conversations, so no process waits on another). Like a browser, every
socket offers permessage-deflate. Message bodies are real v1 ciphertexts (NaCl secretbox)
of about 140 bytes of plaintext, so frames are about 300 bytes as the chat sends them.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import secrets
import time
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import urlsplit

import nacl.secret
import websockets

from pnav.sdk import crypto
from pnav.sdk.client.person import solve_proof_of_work

PARTNER = "http://partner.test"
_ID = re.compile(r'"id":"([^"]+)"')
_TIMEOUT = 60  # no step of a run waits longer than this for one answer


async def http(
    url: str, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 request on its own connection (loopback only)."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {parts.netloc}",
        "Connection: close",
        f"Content-Length: {len(body)}",
    ]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    try:
        raw = await asyncio.wait_for(reader.read(), _TIMEOUT)
    except TimeoutError:
        raise RuntimeError(f"{method} {path.split('?')[0]} not answered in {_TIMEOUT} s") from None
    writer.close()
    head, _, payload = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    found = {}
    for line in header_lines:
        key, _, value = line.partition(":")
        found[key.strip().lower()] = value.strip()
    if found.get("transfer-encoding") == "chunked":
        payload = _unchunk(payload)
    return int(status_line.split()[1]), found, payload


def _unchunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, rest = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out, data = out + rest[:size], rest[size + 2 :]
    return out


class Load:
    """One client process's people and operators."""

    def __init__(self, url: str, kind: str, tag: str, password: str) -> None:
        self.url = url.rstrip("/")
        self.ws_base = self.url.replace("http", "ws", 1)
        self.echo = kind == "echo"
        self.tag = tag
        self.password = password
        self.ops: list[Any] = []
        self.people: list[Any] = []
        self.owner: dict[str, Any] = {}  # conversation id -> operator socket
        self.active: dict[str, asyncio.Event] = {}
        self.pending: dict[str, tuple[float, asyncio.Future[float]]] = {}
        self.ids = itertools.count()
        key = secrets.token_bytes(32)
        text = json.dumps({"type": "text", "text": "x" * 80, "id": "c", "from": "person"})
        box = nacl.secret.SecretBox(key).encrypt(text.encode())
        self.body = crypto.b64encode(bytes([crypto.FORMAT_VERSION]) + bytes(box))
        self.sealed = crypto.b64encode(bytes([crypto.FORMAT_VERSION]) + secrets.token_bytes(104))
        self.desk_key = ""
        self.tasks: list[asyncio.Task[None]] = []

    # -- operators -----------------------------------------------------
    async def login(self, name: str) -> str:
        origin = self.url
        status, _, body = await http(self.url, "GET", f"/console/api/prelogin?username={name}")
        pre = json.loads(body)
        salt = crypto.b64decode(pre["salt"])
        keys = await asyncio.to_thread(
            crypto.derive_operator_keys, self.password, salt, pre["kdf"]["ops"], pre["kdf"]["mem"]
        )
        data = json.dumps({"username": name, "auth": crypto.b64encode(keys.auth)}).encode()
        status, headers, _ = await http(
            self.url,
            "POST",
            "/console/api/login",
            data,
            {"Content-Type": "application/json", "Origin": origin},
        )
        if status != 200:
            raise RuntimeError(f"login of {name} answered {status}")
        return headers["set-cookie"].split(";", 1)[0]

    async def operator(self, name: str) -> None:
        cookie = await self.login(name)
        ws = await websockets.connect(
            self.ws_base + "/console/ws",
            additional_headers={"Cookie": cookie, "Origin": self.url},
            max_size=None,
            open_timeout=_TIMEOUT,
        )
        self.ops.append(ws)
        self.tasks.append(asyncio.create_task(self._read_operator(ws)))

    async def _read_operator(self, ws: Any) -> None:
        async for raw in ws:
            if raw.startswith('{"v":1,"t":"msg"'):
                found = _ID.search(raw)
                if found:
                    self._delivered(found.group(1))

    def _delivered(self, cid: str) -> None:
        entry = self.pending.pop(cid, None)
        if entry is not None and not entry[1].done():
            entry[1].set_result(time.perf_counter() - entry[0])

    # -- people ----------------------------------------------------------
    async def person(self, index: int) -> None:
        if self.echo:
            ws = await websockets.connect(self.ws_base + "/echo", open_timeout=_TIMEOUT)
            self.people.append((ws, f"{self.tag}e{index}"))
            self.tasks.append(asyncio.create_task(self._read_echo(ws)))
            await self._round_trip(ws, f"{self.tag}e{index}")
            return
        status, _, body = await http(
            self.url,
            "POST",
            "/api/ticket",
            json.dumps({"partner": "bench"}).encode(),
            {"Origin": PARTNER, "Content-Type": "text/plain"},
        )
        if status != 200:
            raise RuntimeError(f"ticket answered {status}")
        ticket = json.loads(body)
        ws = await websockets.connect(ticket["ws"], open_timeout=_TIMEOUT)
        start = {
            "who": "victim",
            "what": "other",
            "danger": False,
            "lang": "fr",
            "sealed_key": self.sealed,
            "desk_key": ticket["desk_key"]["id"],
        }
        hello = {"v": 1, "t": "hello", "ticket": ticket["ticket"], "start": start}
        hello["pow"] = solve_proof_of_work(ticket["pow"])  # as the chat in the browser does
        await ws.send(json.dumps(hello))
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), _TIMEOUT))
            if frame["t"] == "welcome":
                break
            if frame["t"] == "error":
                raise RuntimeError(f"hello refused: {frame['code']}")
        conv = frame["conv"]
        active = self.active[conv] = asyncio.Event()
        self.tasks.append(asyncio.create_task(self._read_person(ws, active)))
        op = self.ops[index % len(self.ops)]
        self.owner[conv] = op
        await op.send(json.dumps({"v": 1, "t": "accept", "conv": conv}))
        await asyncio.wait_for(active.wait(), _TIMEOUT)
        self.people.append((ws, conv))

    async def open_people(self, count: int) -> None:
        """``count`` more conversations, at most 100 opening at once."""
        first, opening = len(self.people), asyncio.Semaphore(100)

        async def one(index: int) -> None:
            async with opening:
                await self.person(index)

        await asyncio.gather(*(one(first + i) for i in range(count)))

    async def _read_person(self, ws: Any, active: asyncio.Event) -> None:
        async for raw in ws:
            if not active.is_set() and '"t":"status"' in raw and '"active"' in raw:
                active.set()

    async def _read_echo(self, ws: Any) -> None:
        async for raw in ws:
            found = _ID.search(raw)
            if found:
                self._delivered(found.group(1))

    # -- traffic ---------------------------------------------------------
    async def _round_trip(self, ws: Any, conv: str) -> float:
        cid = f"{self.tag}-{next(self.ids)}"
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.pending[cid] = (time.perf_counter(), future)
        if self.echo:
            frame = {"v": 1, "t": "msg", "conv": conv, "id": cid, "body": self.body}
        else:
            frame = {"v": 1, "t": "msg", "id": cid, "body": self.body}
        await ws.send(json.dumps(frame, separators=(",", ":")))
        try:
            return await asyncio.wait_for(future, _TIMEOUT)
        except TimeoutError:
            raise RuntimeError(f"a message not delivered in {_TIMEOUT} s") from None

    async def traffic(self, warmup: float, seconds: float, logins: float) -> dict[str, Any]:
        """Every conversation sends its next message once the last one was delivered;
        counts deliveries in the ``seconds`` after ``warmup``."""
        loop = asyncio.get_running_loop()
        start = loop.time() + warmup
        end = start + seconds
        latencies: list[float] = []
        relayed = 0

        async def pump(ws: Any, conv: str) -> None:
            nonlocal relayed
            while loop.time() < end:
                latency = await self._round_trip(ws, conv)
                relayed += 1
                if start <= loop.time() <= end:  # delivered within the window
                    latencies.append(latency)

        login_task = self._log_in_repeatedly(start, end, logins)
        await asyncio.gather(*(pump(ws, conv) for ws, conv in self.people))
        logged_in = await login_task if login_task else 0
        return {
            "delivered": len(latencies),
            "relayed": relayed,
            "latencies": latencies,
            "logins": logged_in,
        }

    async def paced(self, seconds: float, interval: float, logins: float) -> dict[str, Any]:
        """Every conversation sends one message every ``interval`` seconds (their starts
        spread over the first interval), for ``seconds``: the latency of conversations
        that are all connected but, like people typing, not all sending at once."""
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        latencies: list[float] = []

        async def pump(index: int, ws: Any, conv: str) -> None:
            due = loop.time() + interval * index / len(self.people)
            while due < end:
                await asyncio.sleep(max(0.0, due - loop.time()))
                latencies.append(await self._round_trip(ws, conv))
                due += interval

        login_task = self._log_in_repeatedly(loop.time(), end, logins)
        await asyncio.gather(*(pump(i, ws, conv) for i, (ws, conv) in enumerate(self.people)))
        logged_in = await login_task if login_task else 0
        return {"latencies": latencies, "logins": logged_in}

    def _log_in_repeatedly(
        self, start: float, end: float, per_second: float
    ) -> asyncio.Task[int] | None:
        """An operator logging in ``per_second`` times a second from ``start`` (loop
        time) to ``end`` (an Argon2id check on the server each time); None if 0."""
        if not per_second:
            return None
        loop = asyncio.get_running_loop()

        async def log_in() -> int:
            done = 0
            await asyncio.sleep(max(0.0, start - loop.time()))
            while loop.time() < end:
                await self.login("bench-login")
                done += 1
                await asyncio.sleep(1 / per_second)
            return done

        return asyncio.create_task(log_in())

    async def close(self) -> None:
        for ws in [*self.ops, *(p[0] for p in self.people)]:
            await ws.close()
        for task in self.tasks:
            task.cancel()


async def _serve(pipe: Connection, url: str, kind: str, tag: str, password: str) -> None:
    load = Load(url, kind, tag, password)
    while True:
        command, *args = await asyncio.to_thread(pipe.recv)
        try:
            if command == "operators":
                await asyncio.gather(*(load.operator(name) for name in args[0]))
                result: Any = len(load.ops)
            elif command == "open":
                await load.open_people(args[0])
                result = len(load.people)
            elif command == "traffic":
                result = await load.traffic(*args)
            elif command == "paced":
                result = await load.paced(*args)
            else:
                await load.close()
                pipe.send(("ok", None))
                return
            pipe.send(("ok", result))
        except Exception as exc:  # reported to the parent, which stops the run
            pipe.send(("error", f"{type(exc).__name__}: {exc}"))


def client_main(pipe: Connection, url: str, kind: str, tag: str, password: str) -> None:
    """The entry point of one client process."""
    asyncio.run(_serve(pipe, url, kind, tag, password))
