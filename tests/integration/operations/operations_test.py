#!/usr/bin/python3
"""Running ringgate in production, against the real binary: /metrics (checked by Debian's
promtool, figures that match the clients held open), drain on SIGTERM (close codes per
transport, exit 0 before the deadline), the configuration file.

Usage: operations_test.py RINGGATE_BINARY [CASE...]

Clients: Python's websockets package, plain asyncio sockets for raw TCP and UDP, and a
Socket.IO session over Engine.IO's WebSocket transport. Every case is bounded in time.
"""
import asyncio
import atexit
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import websockets

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "rooms"))
from rooms_test import BINARY, Gateway, TcpClient, env, parse_env, run_cases  # noqa: E402

DEADLINE = 60
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


async def http_get(port, path):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)).decode()
    lines = head.split("\r\n")
    headers = {}
    for line in lines[1:]:
        if line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    body = await asyncio.wait_for(reader.readexactly(int(headers.get("content-length", 0))), 10)
    writer.close()
    return int(lines[0].split(" ")[1]), headers, body


def parse_samples(text):
    """{'name{labels}': value} of every sample."""
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            samples[key] = float(value)
    return samples


async def scrape(gw):
    status, headers, body = await http_get(gw.admin, "/metrics")
    assert status == 200, status
    assert headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8", headers
    return body, parse_samples(body.decode())


async def until(gw, check, what, limit=10):
    """Scrapes until check(samples) holds; fails naming `what` after `limit` seconds."""
    deadline = time.monotonic() + limit
    while True:
        _, samples = await scrape(gw)
        if check(samples):
            return samples
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: {samples}")
        await asyncio.sleep(0.05)


async def udp_hello(gw):
    """A UDP socket toward the gateway and the cookie its hello got."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect(("127.0.0.1", gw.udp))
    sock.setblocking(False)
    sock.send(env(0x04, with_room=False, rest=b"\x00" * 29))
    cookie = parse_env(await asyncio.wait_for(loop.sock_recv(sock, 65536), 5))["cookie"]
    return sock, cookie


async def udp_member(gw, room):
    loop = asyncio.get_running_loop()
    sock, cookie = await udp_hello(gw)
    sock.send(env(0x01, room, cookie, id_=b"j"))
    assert parse_env(await asyncio.wait_for(loop.sock_recv(sock, 65536), 5))["op"] == 0x81
    return sock


async def sio_socket(gw):
    ws = await websockets.connect(f"ws://127.0.0.1:{gw.ws}/socket.io/?EIO=4&transport=websocket")
    assert (await asyncio.wait_for(ws.recv(), 5)).startswith("0{")
    await ws.send("40")
    assert (await asyncio.wait_for(ws.recv(), 5)).startswith("40")
    return ws


async def case_metrics(gw):
    ws = [await websockets.connect(f"ws://127.0.0.1:{gw.ws}/") for _ in range(5)]
    for i, c in enumerate(ws):
        await c.send(json.dumps({"op": "join", "room": "m1", "id": i}))
        assert json.loads(await asyncio.wait_for(c.recv(), 5))["op"] == "joined"
    tcp = [await TcpClient.open(gw.tcp) for _ in range(3)]
    for c in tcp:
        c.send(env(0x01, b"m1", id_=b"j"))
        assert (await asyncio.wait_for(c.recv(), 5))["op"] == 0x81
    udp = [await udp_member(gw, b"m1") for _ in range(2)]
    sio = [await sio_socket(gw) for _ in range(2)]
    # The second room has one member: rooms_active counts rooms, members count memberships.
    await ws[1].send('{"op":"join","room":"m2"}')
    assert json.loads(await asyncio.wait_for(ws[1].recv(), 5))["op"] == "joined"

    published = 10
    for i in range(published):
        await ws[0].send(json.dumps({"op": "pub", "room": "m1", "data": i, "id": f"p{i}"}))
        assert json.loads(await asyncio.wait_for(ws[0].recv(), 5))["op"] == "ack"
    members_of_m1 = 5 + 3 + 2
    expected_deliveries = published * (members_of_m1 - 1)  # not to the publisher itself

    samples = await until(gw, lambda s: s["ringgate_deliveries_total"] == expected_deliveries,
                          "every delivery counted")
    text, samples = await scrape(gw)
    check = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True)
    assert check.returncode == 0 and not check.stdout and not check.stderr, (
        check.returncode, check.stdout, check.stderr)

    def active(t):
        return samples[f'ringgate_connections_active{{transport="{t}"}}']

    assert (active("ws"), active("tcp"), active("udp"), active("sio")) == (5, 3, 2, 2), samples
    assert samples['ringgate_connections_accepted_total{transport="ws"}'] == 5
    assert samples["ringgate_rooms_active"] == 2, samples
    assert samples["ringgate_room_members_active"] == members_of_m1 + 1, samples
    assert samples["ringgate_publishes_total"] == published, samples
    # Each publish is observed once per shard with members of the room (2 shards here).
    count = samples["ringgate_publish_to_queued_seconds_count"]
    assert published <= count <= 2 * published, count
    assert samples['ringgate_publish_to_queued_seconds_bucket{le="+Inf"}'] == count
    assert samples['ringgate_messages_received_total{transport="ws"}'] == 5 + 1 + published
    assert samples['ringgate_messages_received_total{transport="tcp"}'] == 3
    assert samples['ringgate_messages_received_total{transport="udp"}'] == 4  # hellos, joins
    assert samples['ringgate_messages_sent_total{transport="tcp"}'] == 3 + 3 * published
    assert samples["ringgate_received_bytes_total"] > 0 and samples["ringgate_sent_bytes_total"] > 0
    version = subprocess.run([BINARY, "--version"], capture_output=True, text=True).stdout.split()[-1]
    assert samples['ringgate_build_info{version="' + version + '"}'] == 1, version
    for shard in (0, 1):
        assert samples[f'ringgate_shard_busy_seconds_total{{shard="{shard}"}}'] > 0, samples
    assert samples["process_resident_memory_bytes"] > 1 << 20, samples
    assert samples["process_open_fds"] >= 10 and samples["process_max_fds"] >= 1024, samples
    assert abs(samples["process_start_time_seconds"] - time.time()) < 60, (
        samples["process_start_time_seconds"], time.time())
    assert samples["process_cpu_seconds_total"] > 0

    # Gone clients leave the gauges.
    for c in ws[3:] + sio[1:]:
        await c.close()
    tcp[0].writer.close()
    samples = await until(gw, lambda s: s['ringgate_connections_active{transport="ws"}'] == 3
                          and s['ringgate_connections_active{transport="tcp"}'] == 2
                          and s['ringgate_connections_active{transport="sio"}'] == 1
                          and s["ringgate_room_members_active"] == 3 + 2 + 2 + 1,
                          "closed connections leave the gauges")
    # HEAD: the headers alone.
    reader, writer = await asyncio.open_connection("127.0.0.1", gw.admin)
    writer.write(b"HEAD /metrics HTTP/1.1\r\nHost: h\r\n\r\n")
    head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)).decode()
    assert head.startswith("HTTP/1.1 200") and "version=0.0.4" in head, head
    writer.close()
    for c in ws[:3] + sio[:1]:
        await c.close()
    for s in udp:
        s.close()
    print(f"  promtool clean; 5 ws, 3 tcp, 2 udp, 2 sio counted; {expected_deliveries} "
          f"deliveries; publish-to-queued p-count {count:.0f}")


async def case_drain(gw):
    """SIGTERM with --drain-timeout 4: /readyz 503 at once, the public listeners refuse,
    connections are closed in batches over about 2.4 s (WebSocket 1012, raw TCP a
    `draining` error, Socket.IO its transport), the others served meanwhile, exit 0."""
    loop = asyncio.get_running_loop()
    members = [await websockets.connect(f"ws://127.0.0.1:{gw.ws}/") for _ in range(30)]
    for m in members:
        await m.send('{"op":"join","room":"d"}')
        assert json.loads(await asyncio.wait_for(m.recv(), 5))["op"] == "joined"
    tcp = [await TcpClient.open(gw.tcp) for _ in range(4)]
    for c in tcp:
        c.send(env(0x01, b"d", id_=b"j"))
        assert (await asyncio.wait_for(c.recv(), 5))["op"] == 0x81
    sio = await sio_socket(gw)
    closes = {}  # member index -> (time, code, messages received before)
    received = [[] for _ in members]

    async def read(i, m):
        try:
            while True:
                msg = json.loads(await m.recv())
                if msg["op"] == "msg":
                    received[i].append((time.monotonic(), msg["seq"]))
        except websockets.ConnectionClosed as e:
            closes[i] = (time.monotonic(), e.code)

    async def read_tcp(c):
        frames = []
        try:
            while True:
                frames.append(await c.recv())
        except (asyncio.IncompleteReadError, ConnectionResetError):
            return frames

    async def read_sio():
        try:
            while True:
                await sio.recv()
        except websockets.ConnectionClosed as e:
            return e.code

    readers = [asyncio.create_task(read(i, m)) for i, m in enumerate(members)]
    tcp_readers = [asyncio.create_task(read_tcp(c)) for c in tcp]
    sio_reader = asyncio.create_task(read_sio())
    signalled = time.monotonic()
    gw.proc.send_signal(signal.SIGTERM)
    await asyncio.sleep(0.2)
    status, _, body = await http_get(gw.admin, "/readyz")
    assert status == 503, (status, body)
    status, _, _ = await http_get(gw.admin, "/livez")
    assert status == 200
    for port in (gw.ws, gw.tcp):
        try:
            _, w = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 2)
            raise AssertionError(f"port {port} still accepts during the drain")
        except ConnectionRefusedError:
            pass
    # The members still open are served: publish through one of them until it is closed.
    async def publish_from_open_members():
        n = 0
        while len(closes) < len(members):
            open_ones = [m for i, m in enumerate(members) if i not in closes]
            if not open_ones:
                break
            n += 1
            try:
                await open_ones[-1].send(json.dumps({"op": "pub", "room": "d", "data": n}))
            except websockets.ConnectionClosed:
                pass
            await asyncio.sleep(0.05)

    await asyncio.wait_for(asyncio.gather(*readers, publish_from_open_members()), 10)
    tcp_frames = await asyncio.wait_for(asyncio.gather(*tcp_readers), 10)
    sio_code = await asyncio.wait_for(sio_reader, 10)
    code = await loop.run_in_executor(None, gw.proc.wait, 10)
    exited = time.monotonic() - signalled
    assert code == 0, code
    assert exited < 4.0, f"exit {exited:.2f} s after SIGTERM, over --drain-timeout 4"
    codes = {c for _, c in closes.values()}
    assert codes == {1012}, codes
    times = sorted(t for t, _ in closes.values())
    spread = times[-1] - times[0]
    assert 1.0 <= spread <= 3.0, f"closes spread over {spread:.2f} s, not in batches over ~2.4 s"
    # Members closed late got messages published after the first closes.
    served_late = [i for i in range(len(members)) if any(t > times[0] + 0.5 for t, _ in received[i])]
    assert len(served_late) >= 5, [len(r) for r in received]
    for frames in tcp_frames:
        errors = [f for f in frames if f["op"] == 0x85]
        assert errors and errors[-1]["code"] == 15, frames  # draining
    assert sio_code == 1012, sio_code
    print(f"  readyz 503 and listeners refusing at once; {len(members)} WebSocket closes (1012) "
          f"over {spread:.2f} s; TCP told `draining`; exit 0 after {exited:.2f} s")


CONFIG_DIR = tempfile.mkdtemp(prefix="ringgate-config-")
atexit.register(shutil.rmtree, CONFIG_DIR, True)
CONFIG_FILE = os.path.join(CONFIG_DIR, "ringgate.toml")
with open(CONFIG_FILE, "w") as f:
    f.write('# a production file\nmax-payload = "100"\nslow-consumer = "drop"\nws-port = 1\n')


async def case_config(gw):
    """--config: every flag a key (the command line wins: the test's ports), misspelt keys
    and bad values refused at start-up, --print-config a file that reads back the same."""
    ws = await websockets.connect(f"ws://127.0.0.1:{gw.ws}/")  # ws-port = 1 lost to --ws-port 0
    await ws.send(json.dumps({"op": "pub", "room": "c", "data": "x" * 200, "id": 1}))
    reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert reply["op"] == "error" and reply["code"] == "too_large", reply
    await ws.send(json.dumps({"op": "pub", "room": "c", "data": "x" * 50, "id": 2}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 5))["op"] == "ack"
    await ws.close()

    def run(*args):
        return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=10)

    printed = run("--config", CONFIG_FILE, "--print-config", "--ws-port", "8888")
    assert printed.returncode == 0, printed.stderr
    for line in ("max-payload=100", 'slow-consumer="drop"', "ws-port=8888", "drain-timeout=10"):
        assert line in printed.stdout.splitlines(), (line, printed.stdout)
    assert "print-config" not in printed.stdout.replace("--print-config", "")
    again = os.path.join(CONFIG_DIR, "printed.toml")
    with open(again, "w") as f:
        f.write(printed.stdout)
    assert run("--config", again, "--print-config").stdout == printed.stdout
    for text, named in (('max-payloda = 5\n', "max-payloda"), ('ws-port = "x"\n', "ws-port"),
                        ('slow-consumer = "maybe"\n', "slow-consumer")):
        with open(again, "w") as f:
            f.write(text)
        refused = run("--config", again)
        assert refused.returncode == 2 and named in refused.stderr, (text, refused.stderr)
    refused = run("--config", os.path.join(CONFIG_DIR, "missing.toml"))
    assert refused.returncode == 2 and "missing.toml" in refused.stderr, refused.stderr
    print("  config file read (command line wins), printed config reads back the same, "
          "bad keys and values refused")


async def case_rate_limits(gw):
    """--rate-limit-msgs 20 --rate-limit-grace 1: a burst of 20 passes, the rest is refused
    `rate_limited` (with its id) and not executed; a client that keeps at it is closed
    (WebSocket 1008, raw TCP after a `rate_limited` error); a client within its rate and
    the room's other members keep their service; the refusals are counted."""
    member = await websockets.connect(f"ws://127.0.0.1:{gw.ws}/")
    await member.send('{"op":"join","room":"rl"}')
    assert json.loads(await asyncio.wait_for(member.recv(), 5))["op"] == "joined"
    flood = await websockets.connect(f"ws://127.0.0.1:{gw.ws}/")
    for i in range(60):
        await flood.send(json.dumps({"op": "pub", "room": "rl", "data": i, "id": i}))
    acks, refused = [], []
    while len(acks) + len(refused) < 60:
        reply = json.loads(await asyncio.wait_for(flood.recv(), 5))
        if reply["op"] == "ack":
            acks.append(reply["id"])
        else:
            assert reply["op"] == "error" and reply["code"] == "rate_limited", reply
            refused.append(reply["id"])
    assert 20 <= len(acks) <= 25 and acks == list(range(len(acks))), acks
    assert sorted(acks + refused) == list(range(60))
    # Only what was acknowledged was published.
    got = []
    while len(got) < len(acks):
        m = json.loads(await asyncio.wait_for(member.recv(), 5))
        got.append(m["data"])
    assert got == acks, got
    # Kept at for longer than the grace: closed with 1008.
    closed = None
    deadline = time.monotonic() + 5
    while closed is None and time.monotonic() < deadline:
        try:
            await flood.send('{"op":"ping"}')
            await asyncio.sleep(0.01)
            while True:
                await asyncio.wait_for(flood.recv(), 0.001)
        except asyncio.TimeoutError:
            pass
        except websockets.ConnectionClosed as e:
            closed = e.code
    assert closed == 1008, closed

    async def tcp_flood():
        c = await TcpClient.open(gw.tcp)
        errors = 0
        try:
            for _ in range(400):
                c.send(env(0x05, with_room=False))  # ping
                await asyncio.sleep(0.01)
                try:
                    while True:
                        f = await asyncio.wait_for(c.recv(), 0.001)
                        if f["op"] == 0x85:
                            assert f["code"] == 17, f  # rate_limited
                            errors += 1
                except asyncio.TimeoutError:
                    pass
        except (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError):
            return errors
        raise AssertionError("raw TCP flooder not closed")

    tcp_errors = await asyncio.wait_for(tcp_flood(), 15)
    assert tcp_errors > 0
    # The room's member and a client within its rate were served throughout.
    polite = await websockets.connect(f"ws://127.0.0.1:{gw.ws}/")
    for i in range(10):
        await polite.send(json.dumps({"op": "pub", "room": "rl", "data": "p", "id": i}))
        assert json.loads(await asyncio.wait_for(polite.recv(), 5))["op"] == "ack"
        assert json.loads(await asyncio.wait_for(member.recv(), 5))["data"] == "p"
        await asyncio.sleep(0.06)
    _, samples = await scrape(gw)
    counted = samples['ringgate_rate_limited_total{limit="messages"}']
    assert counted >= len(refused) + tcp_errors, (counted, len(refused), tcp_errors)
    assert samples["ringgate_rate_limited_disconnects_total"] == 2, samples
    await polite.close()
    await member.close()
    print(f"  {len(acks)} of 60 passed, {len(refused)} refused; flooders closed (1008, TCP); "
          f"{counted:.0f} refusals counted")


async def upgrade_status(gw):
    reader, writer = await asyncio.open_connection("127.0.0.1", gw.ws)
    writer.write(b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)).decode()
    writer.close()
    return int(head.split(" ")[1]), head


async def case_ip_limits(gw):
    """--max-conns-per-ip 4 --conn-rate-per-ip 6 on one shard: a fifth connection from the
    address is refused (WebSocket 429, raw TCP closed at once), one closed frees a place;
    faster than 6 a second they are refused; the admin listener is exempt; all counted."""
    held = [await websockets.connect(f"ws://127.0.0.1:{gw.ws}/") for _ in range(4)]
    status, head = await upgrade_status(gw)
    assert status == 429 and "Retry-After: 1" in head, head
    reader, writer = await asyncio.open_connection("127.0.0.1", gw.tcp)
    assert await asyncio.wait_for(reader.read(100), 5) == b""  # closed at once
    writer.close()
    _, samples = await scrape(gw)  # the admin listener still answers
    assert samples['ringgate_rate_limited_total{limit="conns_per_ip"}'] == 2, samples
    await held[0].close()
    await asyncio.sleep(1.2)  # the rate bucket refills
    held[0] = await websockets.connect(f"ws://127.0.0.1:{gw.ws}/")
    await held[0].send('{"op":"ping","id":1}')
    assert json.loads(await asyncio.wait_for(held[0].recv(), 5))["op"] == "pong"
    for ws in held:
        await ws.close()
    await asyncio.sleep(1.2)
    # The rate: a burst of 6, then refusals.
    statuses = []
    for _ in range(10):
        status, _ = await upgrade_status(gw)
        statuses.append(status)
    assert statuses[:6] == [101] * 6 and statuses[6:].count(429) >= 3, statuses
    _, samples = await scrape(gw)
    assert samples['ringgate_rate_limited_total{limit="conn_rate_per_ip"}'] >= 3, samples
    print(f"  a fifth connection refused (429, TCP closed); rate: {statuses}")


CASES = {
    "metrics": ([], case_metrics, {"shards": 2}, {}),
    "drain": (["--drain-timeout", "4"], case_drain, {"shards": 2}, {}),
    "config": (["--config", CONFIG_FILE], case_config, {"shards": 1}, {}),
    "rate-limits": (["--rate-limit-msgs", "20", "--rate-limit-grace", "1"], case_rate_limits,
                    {"shards": 2}, {}),
    "ip-limits": (["--max-conns-per-ip", "4", "--conn-rate-per-ip", "6"], case_ip_limits,
                  {"shards": 1}, {}),
}


def main():
    run_cases(CASES, DEADLINE)


if __name__ == "__main__":
    main()
