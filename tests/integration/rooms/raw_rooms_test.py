#!/usr/bin/python3
"""Raw rooms (ws://HOST/raw/<room>) against the real binary on 4 shards: every frame a raw
member sends reaches the room's other raw members as the same kind of frame with the same
payload, never its publisher; native members see a raw text frame as a JSON string and a
raw binary frame as "bin" base64 (raw TCP members as their bytes); a native publish
reaches raw members as its exact JSON bytes in a text frame; every member gets every
message once and in order; bad room names are 404; frames over --max-payload close 1009.

Usage: raw_rooms_test.py RINGGATE_BINARY [CASE...]
"""
import asyncio
import base64
import json
import os
import sys

import websockets

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rooms_test import TcpClient, env, run_cases  # noqa: E402

DEADLINE = 60


async def case_frames(gw):
    raws = [await websockets.connect(f"ws://127.0.0.1:{gw.ws}/raw/arena", max_size=None)
            for _ in range(6)]
    native = await websockets.connect(f"ws://127.0.0.1:{gw.ws}/")
    await native.send('{"op":"join","room":"arena"}')
    joined = json.loads(await asyncio.wait_for(native.recv(), 5))
    assert joined["op"] == "joined", joined
    tcp = await TcpClient.open(gw.tcp)
    tcp.send(env(0x01, b"arena", id_=b"j"))
    assert (await asyncio.wait_for(tcp.recv(), 5))["op"] == 0x81
    # Raw joins have no answer: a native publish every raw member receives says that every
    # join has reached the room's owner (what follows it in the room, they all get).
    pending = set(range(len(raws)))
    for k in range(100):
        await native.send(json.dumps({"op": "pub", "room": "arena", "data": {"probe": k},
                                      "echo": True}))
        for index in list(pending):
            try:
                while True:
                    got = await asyncio.wait_for(raws[index].recv(), 0.05)
                    if got == json.dumps({"probe": k}):
                        pending.discard(index)
                        break
            except asyncio.TimeoutError:
                pass
        if not pending:
            break
    assert not pending, f"raw members {pending} never joined"
    for raw in raws:  # what is left of the probes
        try:
            while True:
                await asyncio.wait_for(raw.recv(), 0.2)
        except asyncio.TimeoutError:
            pass
    seq0 = joined["seq"]
    while True:  # the native member's own view of the probes
        try:
            seq0 = json.loads(await asyncio.wait_for(native.recv(), 0.2))["seq"]
        except asyncio.TimeoutError:
            break
    tcp_probes = 0
    while True:
        try:
            await asyncio.wait_for(tcp.recv(), 0.2)
            tcp_probes += 1
        except asyncio.TimeoutError:
            break
    sent = []
    for i in range(60):
        sender = i % len(raws)
        if i % 2 == 0:
            payload = f"tick {i} \u00e9 \"quoted\" \\ \n\x01"
        else:
            payload = bytes([i, 0, 255]) * (i + 1)
        await raws[sender].send(payload)
        sent.append((sender, payload))
        await asyncio.sleep(0.002)
    # The room's order is the owner's: the native member's seqs tell it.
    msgs = [json.loads(await asyncio.wait_for(native.recv(), 5)) for _ in sent]
    assert [m["seq"] for m in msgs] == list(range(seq0 + 1, seq0 + 61)), msgs[:2]
    sender_of = {(p if isinstance(p, str) else p.hex()): s for s, p in sent}

    def payload_of(m):
        return base64.b64decode(m["data"]) if m.get("bin") else m["data"]

    order = [payload_of(m) for m in msgs]
    assert sorted(map(repr, order)) == sorted(repr(p) for _, p in sent), "every frame once"
    for index, raw in enumerate(raws):
        expected = [p for p in order  # never its own
                    if sender_of[p if isinstance(p, str) else p.hex()] != index]
        got = [await asyncio.wait_for(raw.recv(), 5) for _ in expected]
        assert got == expected, (index, got[:3], expected[:3])
        try:
            extra = await asyncio.wait_for(raw.recv(), 0.2)
            raise AssertionError(f"raw member {index} got more: {extra!r}")
        except asyncio.TimeoutError:
            pass
    for m in msgs:  # text as a JSON string, binary as base64
        assert ("bin" in m) == isinstance(payload_of(m), bytes), m
    frames = [await asyncio.wait_for(tcp.recv(), 5) for _ in sent]
    for f, payload in zip(frames, order):
        if isinstance(payload, bytes):
            assert f["data"] == payload and not f["flags"] & 0x02, f
        else:
            assert json.loads(f["data"]) == payload and f["flags"] & 0x02, f
    # A native publish reaches raw members as its exact JSON bytes, in a text frame.
    await native.send('{"op":"pub","room":"arena","data":{"px": 101.5,  "q":[1,2]}}')
    for raw in raws:
        assert await asyncio.wait_for(raw.recv(), 5) == '{"px": 101.5,  "q":[1,2]}'
    for c in raws + [native]:
        await c.close()
    tcp.writer.close()
    print(f"  {len(sent)} raw frames to 5 raw, a JSON and a raw TCP member each, in order")


async def case_limits(gw):
    # --max-payload 1000
    for bad in ("/raw/", "/raw/has%20space", "/raw/" + "x" * 129):
        try:
            await websockets.connect(f"ws://127.0.0.1:{gw.ws}{bad}")
            raise AssertionError(f"{bad} upgraded")
        except websockets.InvalidStatusCode as e:
            assert e.status_code == 404, (bad, e.status_code)
    raw = await websockets.connect(f"ws://127.0.0.1:{gw.ws}/raw/small")
    await raw.send("x" * 1001)
    try:
        await asyncio.wait_for(raw.recv(), 5)
        raise AssertionError("not closed")
    except websockets.ConnectionClosed as e:
        assert e.code == 1009, e.code
    print("  bad room names 404; a frame over --max-payload closes 1009")


CASES = {
    "frames": ([], case_frames, {"shards": 4}, {}),
    "limits": (["--max-payload", "1000"], case_limits, {"shards": 2}, {}),
}

if __name__ == "__main__":
    run_cases(CASES, DEADLINE)
