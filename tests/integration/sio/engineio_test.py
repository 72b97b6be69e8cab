#!/usr/bin/python3
"""Engine.IO v4 at /socket.io/, byte by byte, against the real binary on 4 shards.

Usage: engineio_test.py RINGGATE_BINARY [CASE...]

The handshake's open packet (exactly its five keys), the reference server's error
answers, long-polling (held GETs, POSTs answered "ok", an overlapping GET closing the
session), heartbeats and their timeout, the CONNECT deadline, malformed packets closing
the session, the payload limit, CORS, and the rules after an upgrade. Every request goes
on a fresh TCP connection, so requests of one session land on different shards.
Clients: plain asyncio sockets and Python's `websockets`. Every case is bounded in time.
"""
import asyncio
import json
import os
import re
import sys

import websockets

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "rooms"))
from rooms_test import run_cases  # noqa: E402

DEADLINE = 60


async def http(gw, method, target, body=b"", headers=""):
    """One request on a fresh connection: (status, headers in lower case, body)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", gw.ws)
    head = f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}"
    if body or method == "POST":
        head += f"Content-Length: {len(body)}\r\nContent-Type: text/plain;charset=UTF-8\r\n"
    writer.write(head.encode() + b"\r\n" + body)
    raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 15)
    lines = raw.decode().split("\r\n")
    status = int(lines[0].split(" ")[1])
    fields = {}
    for line in lines[1:]:
        if line:
            k, v = line.split(":", 1)
            fields[k.strip().lower()] = v.strip()
    data = await asyncio.wait_for(reader.readexactly(int(fields.get("content-length", 0))), 15)
    writer.close()
    return status, fields, data


async def handshake(gw):
    status, fields, body = await http(gw, "GET", "/socket.io/?EIO=4&transport=polling&t=abc")
    assert status == 200, (status, body)
    assert body.startswith(b"0"), body
    return json.loads(body[1:])["sid"], fields, body


def poll(sid):
    return f"/socket.io/?EIO=4&transport=polling&sid={sid}"


async def expect_error(gw, method, target, code, message, status=400, body=b"", headers=""):
    s, fields, data = await http(gw, method, target, body, headers)
    assert s == status, (target, s, data)
    if status == 400:
        assert fields["content-type"] == "application/json", fields
        assert json.loads(data) == {"code": code, "message": message}, data


async def case_handshake(gw):
    sid, fields, body = await handshake(gw)
    assert fields["content-type"] == "text/plain; charset=UTF-8", fields
    assert fields.get("cache-control") == "no-store", fields
    opened = json.loads(body[1:])
    assert list(opened) == ["sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"], opened
    assert opened["upgrades"] == ["websocket"]
    assert (opened["pingInterval"], opened["pingTimeout"], opened["maxPayload"]) == \
        (25000, 20000, 1000000), opened
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", sid), sid
    sids = {(await handshake(gw))[0] for _ in range(20)}
    assert len(sids) == 20
    # Over WebSocket from the start: the open packet is the first frame, no upgrades.
    async with websockets.connect(f"ws://127.0.0.1:{gw.ws}/socket.io/?EIO=4&transport=websocket") as ws:
        first = await asyncio.wait_for(ws.recv(), 10)
        assert first.startswith("0"), first
        assert json.loads(first[1:])["upgrades"] == []
        await ws.send("40")
        connected = await asyncio.wait_for(ws.recv(), 10)
        assert connected.startswith("40{") and '"sid"' in connected and '"pid"' in connected, connected


async def case_errors(gw):
    await expect_error(gw, "GET", "/socket.io/?EIO=4", 0, "Transport unknown")
    await expect_error(gw, "GET", "/socket.io/?EIO=4&transport=abc", 0, "Transport unknown")
    await expect_error(gw, "GET", poll("AAAAAAAAAAAAAAAAAAAAAA"), 1, "Session ID unknown")
    await expect_error(gw, "GET", poll("not-a-sid"), 1, "Session ID unknown")
    await expect_error(gw, "POST", "/socket.io/?EIO=4&transport=polling", 2, "Bad handshake method")
    await expect_error(gw, "GET", "/socket.io/?EIO=3&transport=polling", 5,
                       "Unsupported protocol version")
    await expect_error(gw, "GET", "/socket.io/?transport=polling", 5, "Unsupported protocol version")
    await expect_error(gw, "GET", "/socket.io/?EIO=4&transport=websocket", 3, "Bad request")
    await expect_error(gw, "GET", "/socket.io/?EIO=4&transport=polling&sid=%zz", 3, "Bad request")


async def case_polling(gw):
    sid, _, _ = await handshake(gw)
    status, fields, body = await http(gw, "POST", poll(sid), b"40")
    assert (status, body) == (200, b"ok") and fields["content-type"] == "text/html", (status, body)
    status, _, body = await http(gw, "GET", poll(sid))
    assert status == 200 and body.startswith(b"40{\"sid\":"), body
    # Two packets in one POST; their answers (acks) come back in one GET, joined by 0x1e.
    await http(gw, "POST", poll(sid), b'42["join","r1",{},null]\x1e421["join","r1"]\x1e422["leave","r1"]')
    got = b""
    while got.count(b"\x1e") < 1:
        status, _, body = await http(gw, "GET", poll(sid))
        got += (b"\x1e" if got else b"") + body
    packets = got.split(b"\x1e")
    acks = [p for p in packets if p.startswith(b"43")]
    assert acks[0].startswith(b'431[{"room":"r1"'), packets
    assert acks[-1] == b'432[{"room":"r1"}]', packets
    # A GET is held until there is something to send: a publish from another session.
    held = asyncio.ensure_future(http(gw, "GET", poll(sid)))
    await asyncio.sleep(0.3)
    assert not held.done(), "the GET was answered with nothing to send"
    await http(gw, "POST", poll(sid), b'42["join","r2"]')
    other, _, _ = await handshake(gw)
    await http(gw, "POST", poll(other), b"40")
    # The join (no ack) and the publish reach the room's owner from different shards: a
    # publish that overtook the join is not the session's; the next one is.
    for _ in range(50):
        await http(gw, "POST", poll(other), b'42["publish","r2","hi",{"a":1}]')
        await asyncio.wait([held], timeout=0.2)
        if held.done():
            break
    status, _, body = await asyncio.wait_for(held, 10)
    assert body.startswith(b'42["hi",{"a":1},"'), body
    # An overlapping GET: refused, the held one answered with a close, the session gone.
    held = asyncio.ensure_future(http(gw, "GET", poll(sid)))
    await asyncio.sleep(0.3)
    await expect_error(gw, "GET", poll(sid), 3, "Bad request")
    status, _, body = await asyncio.wait_for(held, 10)
    assert body == b"1", body
    await expect_error(gw, "GET", poll(sid), 1, "Session ID unknown")
    # A client's close over POST can overtake its next GET (they travel on two connections,
    # through different shards): that GET gets a close packet, not an error; a POST after
    # the close is refused.
    sid, _, _ = await handshake(gw)
    await http(gw, "POST", poll(sid), b"40")
    await http(gw, "GET", poll(sid))
    status, _, body = await http(gw, "POST", poll(sid), b"1")
    assert (status, body) == (200, b"ok"), (status, body)
    status, _, body = await http(gw, "GET", poll(sid))
    assert (status, body) == (200, b"1"), (status, body)
    await expect_error(gw, "POST", poll(sid), 1, "Session ID unknown", body=b"40")


async def case_heartbeat(gw):
    # --sio-ping-interval 300 --sio-ping-timeout 300
    sid, _, _ = await handshake(gw)
    await http(gw, "POST", poll(sid), b"40")
    await http(gw, "GET", poll(sid))  # the CONNECT reply
    for _ in range(3):  # answered pings keep it alive
        status, _, body = await http(gw, "GET", poll(sid))
        assert body == b"2", body
        status, _, body = await http(gw, "POST", poll(sid), b"3")
        assert body == b"ok"
    status, _, body = await http(gw, "GET", poll(sid))
    assert body == b"2", body
    await asyncio.sleep(1.0)  # no pong: the session ends after its timeout
    await expect_error(gw, "GET", poll(sid), 1, "Session ID unknown")
    # A client ping is the wrong direction in v4: the session is closed.
    sid, _, _ = await handshake(gw)
    await http(gw, "POST", poll(sid), b"2")
    await expect_error(gw, "GET", poll(sid), 1, "Session ID unknown")


async def case_connect_timeout(gw):
    # --sio-connect-timeout 300: no CONNECT, no session.
    sid, _, _ = await handshake(gw)
    await asyncio.sleep(0.8)
    await expect_error(gw, "GET", poll(sid), 1, "Session ID unknown")


async def case_malformed(gw):
    for bad in [b"abc", b"", b"4", b"40\x1e4abc", b'40\x1e42{}', b"40\x1e45x-[]", b"bnot base64!"]:
        sid, _, _ = await handshake(gw)
        status, _, body = await http(gw, "POST", poll(sid), bad)
        if status == 200:  # the packets were fine Engine.IO; the Socket.IO one closed it
            assert body == b"ok"
        await expect_error(gw, "GET", poll(sid), 1, "Session ID unknown")
    # Past --sio-max-payload (2000 here): 413 and the connection closed, whichever shard
    # it reached; the session is closed too when that shard is its home.
    for _ in range(4):
        sid, _, _ = await handshake(gw)
        status, fields, _ = await http(gw, "POST", poll(sid), b"4" + b"x" * 3000)
        assert status == 413 and fields.get("connection") == "close", (status, fields)


async def case_bounded(gw):
    # --max-outbuf 16384: answers a client never GETs pile up to the bound, then the
    # session is cut off (the answers of 1,000 acked unknown events: about 70 KB).
    sid, _, _ = await handshake(gw)
    await http(gw, "POST", poll(sid), b"40")
    body = b"\x1e".join(b'42%d["nothing"]' % i for i in range(1000))
    status, _, _ = await http(gw, "POST", poll(sid), body)
    await expect_error(gw, "GET", poll(sid), 1, "Session ID unknown")
    # Below the bound, all is answered.
    sid, _, _ = await handshake(gw)
    await http(gw, "POST", poll(sid), b"40")
    await http(gw, "POST", poll(sid), b"\x1e".join(b'42%d["nothing"]' % i for i in range(50)))
    got = b""
    while got.count(b"43") < 50:
        _, _, more = await http(gw, "GET", poll(sid))
        got += more
    assert b'4349[{"error":{"code":"unknown_event"' in got, got[-200:]


async def case_cors(gw):
    # --sio-cors-origin https://app.example
    status, fields, _ = await http(
        gw, "OPTIONS", "/socket.io/?EIO=4&transport=polling",
        headers="Origin: https://app.example\r\nAccess-Control-Request-Method: POST\r\n"
                "Access-Control-Request-Headers: content-type\r\n")
    assert status == 204, status
    assert fields["access-control-allow-origin"] == "https://app.example", fields
    assert "POST" in fields["access-control-allow-methods"], fields
    assert fields["access-control-allow-headers"] == "content-type", fields
    assert fields["access-control-allow-credentials"] == "true", fields
    _, fields, _ = await handshake(gw)
    assert fields["access-control-allow-origin"] == "https://app.example", fields


async def case_upgrade(gw):
    sid, _, _ = await handshake(gw)
    await http(gw, "POST", poll(sid), b"40")
    await http(gw, "GET", poll(sid))
    held = asyncio.ensure_future(http(gw, "GET", poll(sid)))
    await asyncio.sleep(0.2)
    url = f"ws://127.0.0.1:{gw.ws}/socket.io/?EIO=4&transport=websocket&sid={sid}"
    async with websockets.connect(url) as ws:
        await ws.send("2probe")
        assert await asyncio.wait_for(ws.recv(), 10) == "3probe"
        _, _, body = await asyncio.wait_for(held, 10)
        assert body == b"6", body  # the held GET released with a noop
        await ws.send("5")
        await ws.send('421["join","up"]')
        reply = await asyncio.wait_for(ws.recv(), 10)
        assert reply.startswith('431[{"room":"up"'), reply
        # After the upgrade: polling requests with the sid are refused, so is a second WebSocket.
        await expect_error(gw, "GET", poll(sid), 3, "Bad request")
        await expect_error(gw, "GET", f"/socket.io/?EIO=4&transport=websocket&sid={sid}", 3,
                           "Bad request", headers="Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")
        await ws.send("1")  # the client closes the session
        try:
            await asyncio.wait_for(ws.recv(), 5)
        except websockets.ConnectionClosed:
            pass
    await expect_error(gw, "GET", poll(sid), 1, "Session ID unknown")


async def case_probe_timeout(gw):
    # --sio-upgrade-timeout 300: a probe that never sends "5" is closed; the session stays
    # on polling (a GET is held again, not released at once).
    sid, _, _ = await handshake(gw)
    await http(gw, "POST", poll(sid), b"40")
    await http(gw, "GET", poll(sid))
    url = f"ws://127.0.0.1:{gw.ws}/socket.io/?EIO=4&transport=websocket&sid={sid}"
    async with websockets.connect(url) as ws:
        await ws.send("2probe")
        assert await asyncio.wait_for(ws.recv(), 10) == "3probe"
        _, _, body = await http(gw, "GET", poll(sid))
        assert body == b"6", body  # probing: a GET is released at once
        try:
            await asyncio.wait_for(ws.recv(), 5)
            raise AssertionError("the probe was not closed")
        except websockets.ConnectionClosed:
            pass
    held = asyncio.ensure_future(http(gw, "GET", poll(sid)))
    await asyncio.sleep(0.3)
    assert not held.done(), "a GET after the probe's end was not held"
    await http(gw, "POST", poll(sid), b'421["join","after"]')
    _, _, body = await asyncio.wait_for(held, 10)
    assert body.startswith(b'431[{"room":"after"'), body


CASES = {
    "handshake": ([], case_handshake, {}, {}),
    "errors": ([], case_errors, {}, {}),
    "polling": ([], case_polling, {}, {"sio_handed_off": lambda n: n > 0}),
    "heartbeat": (["--sio-ping-interval", "300", "--sio-ping-timeout", "300"], case_heartbeat, {}, {}),
    "connect-timeout": (["--sio-connect-timeout", "300"], case_connect_timeout, {}, {}),
    "malformed": (["--sio-max-payload", "2000"], case_malformed, {}, {}),
    "cors": (["--sio-cors-origin", "https://app.example"], case_cors, {}, {}),
    "bounded": (["--max-outbuf", "16384"], case_bounded, {}, {}),
    "upgrade": ([], case_upgrade, {}, {"sio_upgrades": lambda n: n == 1}),
    "probe-timeout": (["--sio-upgrade-timeout", "300"], case_probe_timeout, {},
                      {"sio_upgrades": lambda n: n == 0}),
}


if __name__ == "__main__":
    run_cases(CASES, DEADLINE)
