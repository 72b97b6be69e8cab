#!/usr/bin/python3
"""The server API (POST /api/... on the admin port, X-API-Key), against the real binary on
4 shards: publishes reaching WebSocket (JSON and binary), raw TCP and Socket.IO members in
the room's order with their seqs and epoch, keyed publishes not doubled, history paging,
presence, disconnects in each protocol, figures, the busiest rooms, and every refusal.

Usage: api_test.py RINGGATE_BINARY [CASE...]

Clients: Python's websockets package, plain asyncio sockets for raw TCP and HTTP, and a
Socket.IO socket over Engine.IO's WebSocket transport. Every case is bounded in time.
"""
import asyncio
import atexit
import base64
import json
import os
import shutil
import sys
import tempfile

import websockets

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "rooms"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rooms_test import TcpClient, env, reader_stalled_and_publisher, run_cases  # noqa: E402
from operations_test import sio_socket  # noqa: E402

DEADLINE = 60
KEY = "s3cret-api-key"
KEY_DIR = tempfile.mkdtemp(prefix="ringgate-api-")
atexit.register(shutil.rmtree, KEY_DIR, True)
KEY_FILE = os.path.join(KEY_DIR, "api.key")
with open(KEY_FILE, "w") as f:
    f.write(KEY + "\n")
os.chmod(KEY_FILE, 0o600)


async def api(gw, method, body, key=KEY, http_method="POST", raw=None):
    """One request on a fresh connection: (status, parsed JSON body)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", gw.admin)
    data = raw if raw is not None else json.dumps(body).encode()
    head = f"{http_method} /api/{method} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if key is not None:
        head += f"X-API-Key: {key}\r\n"
    head += f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
    writer.write(head.encode() + data)
    raw_head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)).decode()
    lines = raw_head.split("\r\n")
    fields = {}
    for line in lines[1:]:
        if line:
            k, v = line.split(":", 1)
            fields[k.strip().lower()] = v.strip()
    text = await asyncio.wait_for(reader.readexactly(int(fields.get("content-length", 0))), 10)
    writer.close()
    status = int(lines[0].split(" ")[1])
    if fields.get("content-type") == "application/json":
        return status, json.loads(text)
    return status, text


async def expect_error(gw, method, body, status, code, **kw):
    s, reply = await api(gw, method, body, **kw)
    assert s == status and reply["error"]["code"] == code and reply["error"]["message"], (
        method, body, s, reply)


async def ws_member(gw, room, binary=False, info=None):
    ws = await websockets.connect(f"ws://127.0.0.1:{gw.ws}/")
    if binary:
        await ws.send(env(0x01, room.encode(), id_=b"j"))
        joined = await asyncio.wait_for(ws.recv(), 5)
        assert joined[0] == 0x81, joined
        return ws, None
    request = {"op": "join", "room": room}
    if info is not None:
        request["info"] = info
    await ws.send(json.dumps(request))
    joined = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert joined["op"] == "joined", joined
    return ws, joined


async def case_publish(gw):
    room = "api-room"
    json_a, joined = await ws_member(gw, room)
    json_b, _ = await ws_member(gw, room)
    binary, _ = await ws_member(gw, room, binary=True)
    tcp = await TcpClient.open(gw.tcp)
    tcp.send(env(0x01, room.encode(), id_=b"j"))
    assert (await asyncio.wait_for(tcp.recv(), 5))["op"] == 0x81
    sio = await sio_socket(gw)
    await sio.send('421["join","' + room + '"]')
    assert (await asyncio.wait_for(sio.recv(), 5)).startswith('431[{"room":"' + room + '"')

    total = 120
    sent = []  # (seq, kind, value)
    for i in range(total):
        if i % 3 == 0:
            body = {"room": room, "data": {"i": i, "text": "é"}}
        elif i % 3 == 1:
            body = {"room": room, "b64data": base64.b64encode(bytes([i, 0, 255])).decode()}
        else:
            body = {"room": room, "data": i, "event": "tick"}
        status, reply = await api(gw, "publish", body)
        assert status == 200, (status, reply)
        result = reply["result"]
        assert result["epoch"] == joined["epoch"], (result, joined)
        sent.append((result["seq"], i))
    seqs = [s for s, _ in sent]
    assert seqs == list(range(seqs[0], seqs[0] + total)), seqs

    async def json_member(ws):
        got = []
        while len(got) < total:
            m = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if m["op"] == "msg":
                got.append(m)
        return got

    for ws in (json_a, json_b):
        got = await json_member(ws)
        assert [m["seq"] for m in got] == seqs
        for m, (_, i) in zip(got, sent):
            if i % 3 == 0:
                assert m["data"] == {"i": i, "text": "é"}, m
            elif i % 3 == 1:
                assert m.get("bin") is True and base64.b64decode(m["data"]) == bytes([i, 0, 255]), m
            else:
                assert m["data"] == i and m["event"] == "tick", m
    got = []
    while len(got) < total:
        frame = await asyncio.wait_for(binary.recv(), 10)
        if frame[0] == 0x83:
            got.append(frame)
    frames = []
    while len(frames) < total:
        f = await asyncio.wait_for(tcp.recv(), 10)
        if f["op"] == 0x83:
            frames.append(f)
    assert [f["seq"] for f in frames] == seqs
    assert frames[1]["data"] == bytes([1, 0, 255]), frames[1]
    events = []
    while len(events) < total:
        packet = await asyncio.wait_for(sio.recv(), 10)
        if isinstance(packet, str) and packet.startswith("42"):
            events.append(json.loads(packet[2:]))
        elif isinstance(packet, bytes):
            continue  # a binary event's attachment
        elif packet.startswith("45"):  # a binary event: its attachment follows
            events.append(json.loads(packet[packet.index("-") + 1:]))
    assert [e[0] for e in events[:3]] == ["message", "message", "tick"], events[:3]
    assert events[2][1] == 2, events[2]

    # A keyed publish retried: acknowledged with the first seq, delivered once.
    s1, r1 = await api(gw, "publish", {"room": room, "data": "once", "key": "order-17"})
    s2, r2 = await api(gw, "publish", {"room": room, "data": "once", "key": "order-17"})
    assert s1 == s2 == 200 and r2["result"]["seq"] == r1["result"]["seq"], (r1, r2)
    assert r2["result"].get("duplicate") is True and "duplicate" not in r1["result"], (r1, r2)
    s3, r3 = await api(gw, "publish", {"room": room, "data": "after"})
    m = json.loads(await asyncio.wait_for(json_a.recv(), 5))
    assert (m["seq"], m["data"]) == (r1["result"]["seq"], "once"), m
    m = json.loads(await asyncio.wait_for(json_a.recv(), 5))
    assert (m["seq"], m["data"]) == (r3["result"]["seq"], "after"), m
    for c in (json_a, json_b, binary, sio):
        await c.close()
    tcp.writer.close()
    print(f"  {total} API publishes reached JSON, binary, TCP and Socket.IO members in order")


async def case_history_presence(gw):
    room = "h"
    member, joined = await ws_member(gw, room, info={"name": "ann"})
    for i in range(1, 6):
        status, _ = await api(gw, "publish", {"room": room, "data": {"n": i}})
        assert status == 200
    await api(gw, "publish", {"room": room, "b64data": base64.b64encode(b"\x00\x01").decode(),
                              "event": "raw"})
    status, reply = await api(gw, "history", {"room": room, "limit": 3})
    result = reply["result"]
    assert status == 200 and result["seq"] == 6 and result["epoch"] == joined["epoch"], reply
    assert [m["seq"] for m in result["messages"]] == [4, 5, 6], result
    assert result["messages"][0]["data"] == {"n": 4}, result
    assert result["messages"][2] == {"seq": 6, "event": "raw", "bin": True, "data": "AAE="}, result
    _, reply = await api(gw, "history", {"room": room, "since": 1, "limit": 2})
    assert [m["seq"] for m in reply["result"]["messages"]] == [2, 3], reply
    _, reply = await api(gw, "history", {"room": room, "since": 6})
    assert reply["result"]["messages"] == [] and reply["result"]["seq"] == 6, reply
    _, reply = await api(gw, "history", {"room": "never-used"})
    assert reply["result"]["messages"] == [] and reply["result"]["seq"] == 0, reply
    await expect_error(gw, "history", {"room": room, "limit": 0}, 400, "bad_request")
    await expect_error(gw, "history", {"room": room, "since": -1}, 400, "bad_request")

    status, reply = await api(gw, "presence", {"room": room})
    assert status == 200, reply
    presence = reply["result"]
    assert presence["count"] == 1, presence
    assert presence["members"] == [{"member": joined["member"], "info": {"name": "ann"}}], presence
    _, reply = await api(gw, "presence", {"room": "empty-room"})
    assert reply["result"]["count"] == 0 and reply["result"]["members"] == [], reply
    await member.close()
    print("  history newest and paged, binary in base64, presence with info")


async def case_disconnect(gw):
    ws, joined = await ws_member(gw, "d")
    tcp = await TcpClient.open(gw.tcp)
    tcp.send(env(0x01, b"d", id_=b"j"))
    tcp_joined = await asyncio.wait_for(tcp.recv(), 5)
    sio = await sio_socket(gw)
    await sio.send('421["join","d"]')
    sio_joined = json.loads((await asyncio.wait_for(sio.recv(), 5))[3:])[0]

    status, reply = await api(gw, "disconnect", {"member": joined["member"]})
    assert (status, reply) == (200, {"result": {}}), reply
    try:
        await asyncio.wait_for(ws.recv(), 5)
        raise AssertionError("still open")
    except websockets.ConnectionClosed as e:
        assert e.code == 4000, e.code
    status, _ = await api(gw, "disconnect", {"member": tcp_joined["member"]})
    assert status == 200
    frame = await asyncio.wait_for(tcp.recv(), 5)
    assert frame["op"] == 0x85 and frame["code"] == 16, frame  # disconnected
    try:
        await asyncio.wait_for(tcp.recv(), 5)
        raise AssertionError("TCP still open")
    except (asyncio.IncompleteReadError, ConnectionResetError):
        pass
    status, _ = await api(gw, "disconnect", {"member": sio_joined["member"]})
    assert status == 200
    assert await asyncio.wait_for(sio.recv(), 5) == "41"  # DISCONNECT: no reconnection
    try:
        await asyncio.wait_for(sio.recv(), 5)
        raise AssertionError("Socket.IO still open")
    except websockets.ConnectionClosed:
        pass
    # Gone, unknown and malformed members.
    await expect_error(gw, "disconnect", {"member": joined["member"]}, 404, "not_found")
    await expect_error(gw, "disconnect", {"member": "3.999999"}, 404, "not_found")
    await expect_error(gw, "disconnect", {"member": "99.1"}, 404, "not_found")
    for bad in ("x", "1.", ".1", "1.2.3", 17):
        await expect_error(gw, "disconnect", {"member": bad}, 400, "bad_request")
    print("  WebSocket closed 4000, TCP told `disconnected`, Socket.IO DISCONNECT; 404s")


async def case_figures(gw):
    members = [await ws_member(gw, "busy") for _ in range(3)]
    quiet = [await ws_member(gw, f"quiet-{i}") for i in range(2)]
    for i in range(30):
        await api(gw, "publish", {"room": "busy", "data": i})
    status, reply = await api(gw, "info", {})
    info = reply["result"]
    assert status == 200 and len(info["shards"]) == 4, info
    assert info["connections"]["ws"] == 5 and info["rooms_active"] == 3, info
    assert info["publishes"] == 30 and info["resident_bytes"] > 1 << 20, info
    assert sum(s["connections"] for s in info["shards"]) >= 5, info
    # The busiest rooms: by publishes in the last whole second, then members.
    await asyncio.sleep(1.1)
    for i in range(20):
        await api(gw, "publish", {"room": "busy", "data": i})
    deadline = asyncio.get_running_loop().time() + 5
    while True:
        await asyncio.sleep(0.3)
        _, reply = await api(gw, "rooms", {"limit": 2})
        rooms = reply["result"]["rooms"]
        if rooms and rooms[0]["publishes_per_s"] > 0:
            break
        assert asyncio.get_running_loop().time() < deadline, rooms
    assert len(rooms) == 2 and rooms[0]["room"] == "busy" and rooms[0]["members"] == 3, rooms
    assert rooms[0]["seq"] == 50, rooms
    _, reply = await api(gw, "rooms", {})
    assert {r["room"] for r in reply["result"]["rooms"]} == {"busy", "quiet-0", "quiet-1"}, reply
    for ws, _ in members + quiet:
        ws.transport.abort()  # (their unread messages would hold a polite close up)
    print(f"  info over 4 shards; busiest rooms {[r['room'] for r in rooms]}")


async def case_refusals(gw):
    await expect_error(gw, "publish", {"room": "r", "data": 1}, 401, "unauthorized", key=None)
    await expect_error(gw, "publish", {"room": "r", "data": 1}, 401, "unauthorized", key="wrong")
    await expect_error(gw, "publish", {"room": "r", "data": 1}, 401, "unauthorized",
                       key=KEY + "x")
    await expect_error(gw, "publish", {}, 405, "method_not_allowed", http_method="GET")
    await expect_error(gw, "nothing", {}, 404, "not_found")
    await expect_error(gw, "publish", None, 400, "bad_json", raw=b"{not json")
    await expect_error(gw, "publish", None, 400, "bad_request", raw=b"[1,2]")
    await expect_error(gw, "publish", {"data": 1}, 400, "bad_request")
    await expect_error(gw, "publish", {"room": "no spaces", "data": 1}, 400, "bad_room")
    await expect_error(gw, "publish", {"room": "r"}, 400, "bad_request")
    await expect_error(gw, "publish", {"room": "r", "b64data": "!!"}, 400, "bad_request")
    await expect_error(gw, "publish", {"room": "r", "data": 1, "event": 'a"b'}, 400, "bad_request")
    await expect_error(gw, "publish", {"room": "r", "data": 1, "key": ""}, 400, "bad_request")
    # --max-payload 1000 here: data over it is 413; a body past the admin's limit too.
    await expect_error(gw, "publish", {"room": "r", "data": "x" * 1200}, 413, "too_large")
    status, _ = await api(gw, "publish", None, raw=b'{"room":"r","data":"' + b"x" * 200000 + b'"}')
    assert status == 413, status
    # The API still serves after all that.
    status, reply = await api(gw, "publish", {"room": "r", "data": 1})
    assert status == 200 and reply["result"]["seq"] == 1, reply
    print("  401 without or with a wrong key, 404, 405, 400s, 413s")


async def case_off(gw):
    await expect_error(gw, "publish", {"room": "r", "data": 1}, 404, "api_off")
    print("  without --api-key-file the API is off (404)")


async def case_conflate(gw):
    """Conflation keys given to the server API and in Socket.IO publish options reach the
    room: a member that has stopped reading gets, once it reads, the newest value of every
    key, fewer than all of either source's messages, and notices counting the rest
    (--slow-consumer=conflate, small buffers). A source whose ckey were ignored would have
    all its messages delivered (unkeyed ones are never replaced)."""
    fast, slow, pub = await reader_stalled_and_publisher(gw, "quotes")
    await pub.close()
    sio = await sio_socket(gw)
    await expect_error(gw, "publish", {"room": "quotes", "data": 1, "ckey": ""}, 400, "bad_request")
    count, pad, latest = 300, "p" * 1000, {}
    for n in range(count):
        by_api = n % 2 == 0
        key = f"{'api' if by_api else 'sio'}{n % 3}"
        latest[key] = n
        data = {"k": key, "n": n, "pad": pad}
        if by_api:
            status, reply = await api(gw, "publish", {"room": "quotes", "data": data, "ckey": key})
            assert status == 200, reply
        else:
            await sio.send(f"42{n}" + json.dumps(["publish", "quotes", "quote", data, {"ckey": key}]))
            ack = await asyncio.wait_for(sio.recv(), 5)
            assert ack.startswith(f"43{n}[") and "error" not in ack, ack
        m = json.loads(await asyncio.wait_for(fast.recv(), 5))
        assert m["op"] == "msg" and m["data"]["n"] == n, m
    got, told, last, per_source = 0, 0, {}, {"api": 0, "sio": 0}
    while got + told < count:
        m = json.loads(await asyncio.wait_for(slow.recv(), 10))
        if m["op"] == "conflated":
            told += m["count"]
            continue
        got += 1
        last[m["data"]["k"]] = m["data"]["n"]
        per_source[m["data"]["k"][:3]] += 1
    assert told > 0, "nothing was replaced: the member was not slow"
    assert last == latest, (last, latest)
    assert per_source["api"] < count // 2 and per_source["sio"] < count // 2, per_source
    print(f"  stalled member: {per_source} of {count // 2} each, {told} told as replaced")
    for c in (fast, slow, sio):
        await c.close()


CASES = {
    "publish": (["--api-key-file", KEY_FILE], case_publish, {"shards": 4}, {}),
    "history": (["--api-key-file", KEY_FILE], case_history_presence, {"shards": 4}, {}),
    "disconnect": (["--api-key-file", KEY_FILE], case_disconnect, {"shards": 4}, {}),
    "figures": (["--api-key-file", KEY_FILE], case_figures, {"shards": 4}, {}),
    "refusals": (["--api-key-file", KEY_FILE, "--max-payload", "1000"], case_refusals,
                 {"shards": 2}, {}),
    "off": ([], case_off, {"shards": 1}, {}),
    "conflate": (["--api-key-file", KEY_FILE, "--slow-consumer", "conflate", "--max-outbuf", "32KiB",
                  "--sndbuf", "16KiB"], case_conflate, {"shards": 2}, {"conflated": lambda v: v >= 1}),
}


if __name__ == "__main__":
    run_cases(CASES, DEADLINE)
