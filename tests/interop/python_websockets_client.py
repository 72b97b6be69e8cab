#!/usr/bin/python3
"""Interop: Python's `websockets` (Debian's python3-websockets) as the client of /echo.

usage: python_websockets_client.py ws://127.0.0.1:PORT/echo
Exits 0 when text and binary messages from 0 B to 16 MiB come back unchanged, a ping
is answered, and the close handshake ends with code 1000.
"""
import asyncio
import os
import sys

import websockets

SIZES = [0, 1, 125, 126, 127, 65535, 65536, 1 << 20, 16 << 20]


async def main(url: str) -> None:
    async with websockets.connect(url, max_size=32 << 20, ping_interval=None) as ws:
        for size in SIZES:
            text = "é" * (size // 2) + ("x" if size % 2 else "")
            await ws.send(text)
            if await ws.recv() != text:
                raise SystemExit(f"websockets interop: text of {size} bytes differs")
            data = os.urandom(size)
            await ws.send(data)
            if await ws.recv() != data:
                raise SystemExit(f"websockets interop: binary of {size} bytes differs")
        pong = await ws.ping(b"are you there")
        await asyncio.wait_for(pong, 10)
        await ws.close(1000, "done")
    if ws.close_code != 1000:
        raise SystemExit(f"websockets interop: closed with {ws.close_code}")
    print(f"websockets interop: {len(SIZES) * 2} messages, ping, close 1000: ok")


asyncio.run(asyncio.wait_for(main(sys.argv[1]), 60))
