"""A second reference for bench/relay.py: a raw `websockets` (asyncio) echo server.

.venv/bin/python bench/relay_echo_websockets.py PORT
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import websockets


async def echo(ws: Any) -> None:
    async for message in ws:
        await ws.send(message)


async def main(port: int) -> None:
    async with websockets.serve(echo, "127.0.0.1", port, max_size=1024 * 1024):
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
