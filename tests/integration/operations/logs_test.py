#!/usr/bin/python3
"""--log-format json against the real binary: every line on stderr is one JSON object with
ts, level, event and msg; notable events are there (start, a client's protocol error,
a cut-off for rate limits, the stop); a flood of bad clients is rate-limited in the log
(a bounded number of lines and a "log_dropped" note), and the gateway serves throughout.

Usage: logs_test.py RINGGATE_BINARY
"""
import asyncio
import json
import os
import signal
import sys
import time

import websockets

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "rooms"))
from rooms_test import Gateway  # noqa: E402


async def flood(gw):
    # 400 clients that break the protocol (an unmasked frame: 1002), as fast as they can.
    async def bad():
        reader, writer = await asyncio.open_connection("127.0.0.1", gw.ws)
        writer.write(b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
                     b"\x81\x02hi")
        try:
            await asyncio.wait_for(reader.read(1000), 5)
        finally:
            writer.close()
    started = time.monotonic()
    for _ in range(8):
        await asyncio.gather(*(bad() for _ in range(50)))
    gw.flood_seconds = time.monotonic() - started
    # A client over its rate limit for longer than the grace: cut off, logged.
    ws = await websockets.connect(f"ws://127.0.0.1:{gw.ws}/")
    try:
        for _ in range(200):
            await ws.send('{"op":"ping"}')
            await asyncio.sleep(0.005)
    except websockets.ConnectionClosed:
        pass
    # The gateway still serves.
    async with websockets.connect(f"ws://127.0.0.1:{gw.ws}/") as ok:
        await ok.send('{"op":"ping","id":1}')
        assert json.loads(await asyncio.wait_for(ok.recv(), 5))["op"] == "pong"


def main():
    gw = Gateway("--log-format", "json", "--rate-limit-msgs", "50", "--rate-limit-grace", "0.3",
                 shards=1)
    try:
        asyncio.run(asyncio.wait_for(flood(gw), 60))
    finally:
        gw.proc.send_signal(signal.SIGTERM)
        _, err = gw.proc.communicate(timeout=15)
    assert gw.proc.returncode == 0, err[-2000:]
    events = []
    for line in err.splitlines():
        entry = json.loads(line)  # every line is JSON
        assert {"ts", "level", "event", "msg"} <= set(entry), entry
        events.append(entry)
    names = [e["event"] for e in events]
    for needed in ("started", "listening", "protocol_error", "cut_off", "stopping", "stopped"):
        assert needed in names, (needed, names[:20])
    errors = [e for e in events if e["event"] == "protocol_error"]
    assert all("shard" in e and "1002" in e["msg"] for e in errors), errors[:3]
    # 400 protocol errors in a few seconds: the log kept a bounded share (a burst of 200,
    # then 20 a second) and said how many it dropped.
    bound = 200 + 20 * (gw.flood_seconds + 1)
    assert len(errors) <= bound, (len(errors), bound)
    if bound < 400:  # (a very slow machine could log them all within the rate)
        assert "log_dropped" in names, names.count("log_dropped")
    print(f"ok: {len(events)} JSON lines, {len(errors)} protocol errors of 400 logged, "
          f"{names.count('log_dropped')} dropped notes")


if __name__ == "__main__":
    main()
