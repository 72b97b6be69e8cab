#!/usr/bin/python3
"""The WebSocket port's HTTP/1.1 front door, against the real binary.

Usage: front_door_test.py RINGGATE_BINARY [CASE...]

Keep-alive and pipelining (answers in order, on one connection), bodies by length and
chunked, the refusals that keep a request from hiding another (request smuggling), the
limits (head, body, time per request, idle keep-alive), and a WebSocket upgrade pipelined
behind an ordinary request. Clients: plain asyncio sockets. Every case is bounded in time.
"""
import asyncio
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "rooms"))
from rooms_test import run_cases  # noqa: E402

DEADLINE = 60


async def connect(gw):
    return await asyncio.open_connection("127.0.0.1", gw.ws)


async def read_response(reader):
    """One response: (status, headers dict in lower case, body)."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    lines = head.decode().split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        if line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    body = b""
    if "content-length" in headers:
        body = await asyncio.wait_for(reader.readexactly(int(headers["content-length"])), 10)
    return status, headers, body


async def closed(reader):
    """True once the server has closed the connection (after anything still to read);
    a connection left open fails the case by its timeout."""
    try:
        await asyncio.wait_for(reader.read(), 10)
    except ConnectionResetError:
        pass
    return True


def request(path, extra="", method="GET", body=b""):
    return (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n").encode() + body


async def case_keepalive(gw):
    r, w = await connect(gw)
    for i in range(5):  # one connection, several requests in turn
        w.write(request(f"/nothing-{i}"))
        status, headers, body = await read_response(r)
        assert status == 404, status
        assert "connection" not in headers, headers
    # Pipelined: all at once, answered in order (each names its path? 404 bodies are the
    # same, so the order shows in a request that closes last).
    w.write(request("/a") + request("/b", method="POST", extra="Content-Length: 3\r\n", body=b"xyz")
            + request("/c", method="POST", extra="Transfer-Encoding: chunked\r\n",
                      body=b"3\r\nabc\r\n0\r\n\r\n")
            + request("/d", extra="Connection: close\r\n"))
    for _ in range(3):
        status, headers, _ = await read_response(r)
        assert status == 404 and "connection" not in headers, (status, headers)
    status, headers, _ = await read_response(r)
    assert status == 404 and headers.get("connection") == "close", headers
    assert await closed(r)
    w.close()
    # HTTP/1.0 closes unless asked to keep alive.
    r, w = await connect(gw)
    w.write(b"GET /x HTTP/1.0\r\n\r\n")
    status, headers, _ = await read_response(r)
    assert status == 404 and headers.get("connection") == "close"
    assert await closed(r)
    w.close()


async def refused(gw, raw, status_expected):
    r, w = await connect(gw)
    w.write(raw)
    status, headers, body = await read_response(r)
    assert status == status_expected, (raw, status, body)
    assert headers.get("connection") == "close", headers
    assert await closed(r), raw
    w.close()


async def case_smuggling(gw):
    smuggled = request("/smuggled")
    for extra, body in [
        ("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n" + smuggled),
        ("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", b"0\r\n\r\n" + smuggled),
        ("Content-Length: 5\r\nContent-Length: 6\r\n", b"hello!" + smuggled),
        ("Content-Length: +5\r\n", b"hello" + smuggled),
        ("Transfer-Encoding: gzip, chunked\r\n", b"0\r\n\r\n"),
        ("Transfer-Encoding: chunked\r\n", b"zz\r\n" + smuggled),  # a bad chunk size
        ("Transfer-Encoding: chunked\r\n", b"5\nhello\r\n0\r\n\r\n"),  # a bare LF
        ("Transfer-Encoding : chunked\r\n", b"0\r\n\r\n"),  # white space before the colon
    ]:
        expected = 501 if "gzip" in extra else 400
        await refused(gw, request("/x", method="POST", extra=extra, body=body), expected)
    await refused(gw, b"GET /x HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", 400)


async def case_limits(gw):
    # --http-max-body 1000: a declared length past it, and a chunked body growing past it.
    await refused(gw, request("/x", method="POST", extra="Content-Length: 1001\r\n"), 413)
    await refused(gw, request("/x", method="POST", extra="Transfer-Encoding: chunked\r\n",
                              body=b"3e8\r\n" + b"x" * 1000 + b"\r\n1\r\n"), 413)
    await refused(gw, b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", 414)
    await refused(gw, request("/x", extra="X: " + "y" * 17000 + "\r\n"), 431)
    # A request that does not arrive whole within --handshake-timeout (1 s): 408.
    r, w = await connect(gw)
    w.write(b"GET /x HTTP/1.1\r\nHost: h\r\n")
    status, headers, _ = await read_response(r)
    assert status == 408 and headers.get("connection") == "close"
    w.close()
    # A kept-alive connection waiting past --http-idle-timeout (1 s) is closed quietly.
    r, w = await connect(gw)
    w.write(request("/x"))
    status, _, _ = await read_response(r)
    assert status == 404
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await asyncio.wait_for(r.read(), 10) == b""
    assert 0.5 < loop.time() - started < 5, loop.time() - started
    w.close()


async def case_expect(gw):
    r, w = await connect(gw)
    w.write(request("/x", method="POST", extra="Content-Length: 4\r\nExpect: 100-continue\r\n"))
    status, _, _ = await read_response(r)
    assert status == 100, status
    w.write(b"body")
    status, _, _ = await read_response(r)
    assert status == 404
    w.close()


async def case_upgrade(gw):
    # An ordinary request, then a WebSocket upgrade and a frame, all in one write: the
    # front door answers the first, upgrades on the second, and the frame is echoed.
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    upgrade = request("/echo", extra=f"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n")
    payload = b"hi"
    mask = b"\x01\x02\x03\x04"
    frame = bytes([0x81, 0x80 | len(payload)]) + mask + bytes(
        b ^ mask[i % 4] for i, b in enumerate(payload))
    r, w = await connect(gw)
    w.write(request("/first") + upgrade + frame)
    status, _, _ = await read_response(r)
    assert status == 404
    head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 101"), head
    assert re.search(rb"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=", head), head
    echoed = await asyncio.wait_for(r.readexactly(4), 10)
    assert echoed == bytes([0x81, 2]) + payload, echoed
    w.close()


async def case_admin(gw):
    # The admin listener: its own port (never the WebSocket port), health endpoints.
    assert gw.admin and gw.admin != gw.ws, gw.admin

    async def get(port, path, method="GET"):
        r, w = await asyncio.open_connection("127.0.0.1", port)
        w.write(f"{method} {path} HTTP/1.1\r\nHost: h\r\n\r\n".encode())
        answer = await read_response(r)
        w.close()
        return answer

    status, headers, body = await get(gw.admin, "/livez")
    assert (status, body) == (200, b"ok\n"), (status, body)
    status, _, body = await get(gw.admin, "/readyz")
    assert (status, body) == (200, b"ready\n"), (status, body)
    status, _, _ = await get(gw.admin, "/livez", "POST")
    assert status == 405
    status, _, _ = await get(gw.admin, "/elsewhere")
    assert status == 404
    status, _, _ = await get(gw.ws, "/livez")  # not on the public port
    assert status == 404


CASES = {
    "keepalive": ([], case_keepalive, {}, {}),
    "smuggling": ([], case_smuggling, {}, {}),
    "limits": (["--http-max-body", "1000", "--handshake-timeout", "1", "--http-idle-timeout", "1"],
               case_limits, {}, {}),
    "expect": ([], case_expect, {}, {}),
    "upgrade": ([], case_upgrade, {}, {}),
    "admin": ([], case_admin, {}, {}),
}


if __name__ == "__main__":
    run_cases(CASES, DEADLINE)
