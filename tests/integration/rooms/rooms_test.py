#!/usr/bin/python3
"""Rooms across shards and protocols, against the real binary.

Usage: rooms_test.py RINGGATE_BINARY [CASE...]

Runs the gateway with 4 shards on loopback and talks to it with Python's `websockets`
package (WebSocket, JSON and binary) and plain asyncio sockets (raw TCP, UDP). Every case
is bounded in time; the process exits non-zero on the first failure.
"""
import asyncio
import base64
import json
import re
import signal
import socket
import struct
import subprocess
import sys
import time

import websockets

BINARY = sys.argv[1]
DEADLINE = 60  # seconds per case at most


class Gateway:
    def __init__(self, *args, shards=4, **popen):
        self.proc = subprocess.Popen(
            [BINARY, "--bind", "127.0.0.1", "--tcp-port", "0", "--udp-port", "0", "--ws-port", "0",
             "--admin-port", "0", "--shards", str(shards), *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)
        line = self.proc.stdout.readline()
        m = re.search(r"tcp=\S+:(\d+) udp=\S+:(\d+) ws=\S+:(\d+)", line)
        assert m, f"no start-up line: {line!r}"
        self.tcp, self.udp, self.ws = (int(g) for g in m.groups())
        admin = re.search(r"admin=\S+:(\d+)", line)
        self.admin = int(admin.group(1)) if admin else None

    def stop(self):
        """Stops the gateway; returns its counters summed over shards."""
        self.proc.send_signal(signal.SIGTERM)
        _, err = self.proc.communicate(timeout=10)
        assert self.proc.returncode == 0, err
        totals = {}
        for line in err.splitlines():
            if line.startswith("ringgate shard="):
                for key, value in re.findall(r"(\w+)=(\d+)", line):
                    if key != "shard":
                        totals[key] = totals.get(key, 0) + int(value)
        return totals


# --- the binary envelope (docs/PROTOCOL.md) -------------------------------------------

def env(op, room=b"", rest=b"", flags=0, id_=b"", with_room=True):
    out = bytes([op, flags, len(id_)]) + id_
    if with_room:
        out += bytes([len(room)]) + room
    return out + rest


def parse_env(b):
    op, flags, idl = b[0], b[1], b[2]
    id_ = b[3:3 + idl]
    p = 3 + idl
    out = {"op": op, "flags": flags, "id": id_}
    if op in (0x81, 0x82, 0x83, 0x86):
        rl = b[p]
        out["room"] = b[p + 1:p + 1 + rl].decode()
        p += 1 + rl
    if op in (0x81, 0x83, 0x84):
        out["seq"] = struct.unpack_from("<Q", b, p)[0]
        p += 8
    if op == 0x81:  # epoch and member name, u8 length each
        n = b[p]
        out["epoch"] = b[p + 1:p + 1 + n].decode()
        p += 1 + n
        n = b[p]
        out["member"] = b[p + 1:p + 1 + n].decode()
        p += 1 + n
        if flags & 0x08:
            out["recovered"] = bool(flags & 0x04)
    if op == 0x84:
        out["duplicate"] = bool(flags & 0x04)
    if op == 0x8b:
        n = b[p]
        out["token"] = b[p + 1:p + 1 + n].decode()
        out["resumed"] = bool(flags & 0x08)
    if op in (0x89, 0x8a):
        rl = b[p]
        out["room"] = b[p + 1:p + 1 + rl].decode()
        p += 1 + rl
    if op == 0x89:
        out["count"], listed = struct.unpack_from("<IH", b, p)
        p += 6
        out["members"] = []
        for _ in range(listed):
            n = b[p]
            name = b[p + 1:p + 1 + n].decode()
            p += 1 + n
            n = struct.unpack_from("<H", b, p)[0]
            out["members"].append({"member": name, "info": b[p + 2:p + 2 + n].decode()})
            p += 2 + n
    if op == 0x8a:
        out["event"] = {1: "join", 2: "leave"}[b[p]]
        n = b[p + 1]
        out["member"] = b[p + 2:p + 2 + n].decode()
        p += 2 + n
        n = struct.unpack_from("<H", b, p)[0]
        out["info"] = b[p + 2:p + 2 + n].decode()
    if op == 0x83:
        if flags & 0x08:  # the publish's event name
            n = b[p]
            out["event"] = b[p + 1:p + 1 + n].decode()
            p += 1 + n
        out["data"] = b[p:]
    if op == 0x85:
        out["code"] = b[p]
        n = struct.unpack_from("<H", b, p + 1)[0]
        out["message"] = b[p + 3:p + 3 + n].decode()
    if op == 0x86:
        out["from"], out["to"] = struct.unpack_from("<QQ", b, p)
    if op == 0x87:
        out["cookie"] = b[p:p + 16]
    return out


class TcpClient:
    @classmethod
    async def open(cls, port):
        self = cls()
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
        return self

    def send(self, payload):
        self.writer.write(struct.pack("<I", len(payload)) + payload)

    async def recv(self):
        n = struct.unpack("<I", await self.reader.readexactly(4))[0]
        return parse_env(await self.reader.readexactly(n))


# --- cases ----------------------------------------------------------------------------

async def every_member_gets_every_message_once_in_one_order(gw):
    rooms = [f"room-{i}" for i in range(6)]
    ws_members = [await websockets.connect(f"ws://127.0.0.1:{gw.ws}/", max_size=None) for _ in range(160)]
    tcp_members = [await TcpClient.open(gw.tcp) for _ in range(80)]
    membership = {}  # client index -> its two rooms
    for i, ws in enumerate(ws_members):
        membership[("ws", i)] = [rooms[i % 6], rooms[(i * 7 + 1) % 6]]
    for i in range(len(tcp_members)):
        membership[("tcp", i)] = [rooms[(i + 2) % 6], rooms[(i * 5 + 3) % 6]]
    for key, rs in membership.items():
        membership[key] = sorted(set(rs))
    # Join, and wait until every join is answered.
    for i, ws in enumerate(ws_members):
        for r in membership[("ws", i)]:
            await ws.send(json.dumps({"op": "join", "room": r, "id": r}))
    for i, c in enumerate(tcp_members):
        for r in membership[("tcp", i)]:
            c.send(env(0x01, r.encode(), id_=r.encode()))
    for i, ws in enumerate(ws_members):
        for _ in membership[("ws", i)]:
            reply = json.loads(await ws.recv())
            assert reply["op"] == "joined" and reply["seq"] == 0, reply
    for i, c in enumerate(tcp_members):
        for _ in membership[("tcp", i)]:
            reply = await c.recv()
            assert reply["op"] == 0x81 and reply["seq"] == 0, reply

    # Publishers on several shards (the kernel spreads connections): JSON and binary ones.
    publishers = [await websockets.connect(f"ws://127.0.0.1:{gw.ws}/") for _ in range(8)]
    tcp_publishers = [await TcpClient.open(gw.tcp) for _ in range(4)]
    per_publisher = 40
    sent = {r: 0 for r in rooms}

    async def publish_ws(p, pi):
        for n in range(per_publisher):
            r = rooms[(pi + n) % 6]
            await p.send(json.dumps({"op": "pub", "room": r, "data": {"p": pi, "n": n}, "id": n}))
        acks = set()
        while len(acks) < per_publisher:
            reply = json.loads(await p.recv())
            assert reply["op"] == "ack", reply
            acks.add(reply["id"])

    async def publish_tcp(p, pi):
        for n in range(per_publisher):
            r = rooms[(pi + n) % 6]
            data = json.dumps({"p": pi, "n": n}).encode()
            p.send(env(0x03, r.encode(), data, flags=0x02, id_=str(n).encode()))
        for _ in range(per_publisher):
            reply = await p.recv()
            assert reply["op"] == 0x84, reply

    for pi in range(8):
        for n in range(per_publisher):
            sent[rooms[(pi + n) % 6]] += 1
    for pi in range(4):
        for n in range(per_publisher):
            sent[rooms[(100 + pi + n) % 6]] += 1
    await asyncio.gather(*(publish_ws(p, i) for i, p in enumerate(publishers)),
                         *(publish_tcp(p, 100 + i) for i, p in enumerate(tcp_publishers)))

    # Every member: every message of its rooms, once, seq 1..N in order.
    logs = {}

    async def collect_ws(i, ws):
        want = sum(sent[r] for r in membership[("ws", i)])
        log = {r: [] for r in membership[("ws", i)]}
        for _ in range(want):
            m = json.loads(await ws.recv())
            assert m["op"] == "msg", m
            log[m["room"]].append((m["seq"], json.dumps(m["data"], sort_keys=True)))
        logs[("ws", i)] = log

    async def collect_tcp(i, c):
        want = sum(sent[r] for r in membership[("tcp", i)])
        log = {r: [] for r in membership[("tcp", i)]}
        for _ in range(want):
            m = await c.recv()
            assert m["op"] == 0x83 and m["flags"] & 0x02, m
            log[m["room"]].append((m["seq"], json.dumps(json.loads(m["data"]), sort_keys=True)))
        logs[("tcp", i)] = log

    await asyncio.gather(*(collect_ws(i, ws) for i, ws in enumerate(ws_members)),
                         *(collect_tcp(i, c) for i, c in enumerate(tcp_members)))
    reference = {}
    for key, log in logs.items():
        for r, entries in log.items():
            seqs = [s for s, _ in entries]
            assert seqs == list(range(1, sent[r] + 1)), f"{key} {r}: seqs {seqs[:10]}..."
            if r in reference:
                assert entries == reference[r], f"{key} saw {r} in another order"
            else:
                reference[r] = entries
    # Nothing more arrives (exactly once).
    for ws in ws_members[:20]:
        try:
            extra = await asyncio.wait_for(ws.recv(), 0.05)
            raise AssertionError(f"unexpected extra message {extra}")
        except asyncio.TimeoutError:
            pass
    for ws in ws_members + publishers:
        await ws.close()
    total = sum(sent.values())
    print(f"  {len(logs)} members, {total} messages in {len(rooms)} rooms, "
          f"{sum(len(e) for l in logs.values() for e in l.values())} deliveries checked")


async def json_and_binary_members_share_payloads(gw):
    js = await websockets.connect(f"ws://127.0.0.1:{gw.ws}/")
    bn = await websockets.connect(f"ws://127.0.0.1:{gw.ws}/")
    await js.send('{"op":"join","room":"mix"}')
    assert json.loads(await js.recv())["op"] == "joined"
    await bn.send(env(0x01, b"mix"))
    assert parse_env(await bn.recv())["op"] == 0x81
    await bn.send(env(0x03, b"mix", b"\x00\xffraw"))
    m = json.loads(await js.recv())
    assert m["bin"] is True and base64.b64decode(m["data"]) == b"\x00\xffraw", m
    await js.send('{"op":"pub","room":"mix","data": {"a" : [1, 2]}}')
    m = parse_env(await bn.recv())
    assert m["flags"] & 0x02 and m["data"] == b'{"a" : [1, 2]}', m  # byte for byte
    # Errors keep the connection open.
    await js.send('{"op":"pub","room":"mix"}')
    e = json.loads(await js.recv())
    assert e["op"] == "error" and e["code"] == "bad_request", e
    await bn.send(env(0x03, b"mix", b"{not json", flags=0x02, id_=b"k"))
    e = parse_env(await bn.recv())
    assert e["op"] == 0x85 and e["code"] == 1 and e["id"] == b"k", e
    await js.send('{"op":"ping","id":3}')
    assert json.loads(await js.recv()) == {"op": "pong", "id": 3}
    # A leave right behind a join, before the owner shard has answered the join: the
    # client still hears `joined` before `left` (8 rooms, so most are owned elsewhere).
    for i in range(8):
        await js.send(json.dumps({"op": "join", "room": f"quick{i}"}))
        await js.send(json.dumps({"op": "leave", "room": f"quick{i}"}))
    heard = {}
    for _ in range(16):
        r = json.loads(await js.recv())
        heard.setdefault(r["room"], []).append(r["op"])
    assert all(ops == ["joined", "left"] for ops in heard.values()) and len(heard) == 8, heard
    await js.close()
    await bn.close()


async def limits_answer_with_errors(gw):
    ws = await websockets.connect(f"ws://127.0.0.1:{gw.ws}/")
    for i in range(3):
        await ws.send(json.dumps({"op": "join", "room": f"l{i}"}))
        assert json.loads(await ws.recv())["op"] == "joined"
    await ws.send(json.dumps({"op": "join", "room": "l3", "id": 1}))
    e = json.loads(await ws.recv())
    assert e["code"] == "too_many_rooms" and e["id"] == 1, e
    await ws.send(json.dumps({"op": "pub", "room": "l0", "data": "x" * 2000}))
    e = json.loads(await ws.recv())
    assert e["code"] == "too_large", e
    await ws.send(json.dumps({"op": "pub", "room": "l0", "data": "ok", "id": 2}))
    a = json.loads(await ws.recv())
    assert a == {"op": "ack", "id": 2, "seq": 1, "epoch": a["epoch"]} and len(a["epoch"]) == 16, a
    await ws.close()
    # A flood of joins and leaves of a room whose owner has not answered yet: what the hub
    # holds for the answers is bounded (256 per connection; beyond that `busy`), and every
    # request still gets exactly one answer, in order.
    tcp = await TcpClient.open(gw.tcp)
    requests = 2000
    tcp.writer.write(b"".join(
        struct.pack("<I", len(f)) + f for f in
        (env(0x01 if n % 2 == 0 else 0x02, b"churn", id_=struct.pack("<H", n)) for n in range(requests))))
    answered = {}
    order = []
    for _ in range(requests):
        r = await asyncio.wait_for(tcp.recv(), 10)
        n = struct.unpack("<H", r["id"])[0]
        assert n not in answered, r
        answered[n] = r
        if r["op"] != 0x85:
            assert r["op"] == (0x81 if n % 2 == 0 else 0x82), r
            order.append(n)
    assert order == sorted(order), "joins and leaves answered out of order"
    busy = [n for n, r in answered.items() if r["op"] == 0x85 and r["code"] == 9]
    assert busy, "no join or leave was refused while 2000 waited for the owner"
    assert all(r["op"] != 0x85 or r["code"] in (8, 9) for r in answered.values())
    tcp.send(env(0x05, id_=b"end", with_room=False))
    assert (await asyncio.wait_for(tcp.recv(), 10))["op"] == 0x88, "the connection stays open"
    print(f"  {requests} joins/leaves of one room at once: {len(busy)} refused busy, the rest answered in order")
    tcp.writer.close()


async def reader_stalled_and_publisher(gw, room):
    """Three connections: a member of `room` that reads along, one that will stop reading
    (with a small receive window from the start, so the kernel hides little of its
    backlog), and a publisher."""
    fast = await websockets.connect(f"ws://127.0.0.1:{gw.ws}/", max_queue=None)
    small = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    small.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    small.connect(("127.0.0.1", gw.ws))
    slow = await websockets.connect(f"ws://127.0.0.1:{gw.ws}/", sock=small, max_queue=4,
                                    read_limit=4096)
    pub = await websockets.connect(f"ws://127.0.0.1:{gw.ws}/")
    for c in (fast, slow):
        await c.send(json.dumps({"op": "join", "room": room}))
        assert json.loads(await c.recv())["op"] == "joined"
    return fast, slow, pub


async def flood(gw):
    """One member stops reading while 8 MiB of 1 KiB messages go to its room (more than the
    kernel's socket buffers can hide); another member reads along and must get them all."""
    fast, slow, pub = await reader_stalled_and_publisher(gw, "flood")
    count = 8000
    payload = json.dumps("y" * 1000)

    received = [0]

    async def read_all():
        for n in range(count):
            m = json.loads(await fast.recv())
            assert m["op"] == "msg" and m["seq"] == n + 1, m
            received[0] += 1

    reader = asyncio.create_task(read_all())
    for n in range(count):
        await pub.send('{"op":"pub","room":"flood","data":%s}' % payload)
        while n - received[0] > 64 and not reader.done():
            await asyncio.sleep(0.0005)  # the fast member keeps up (Python is slower than us)
    await reader
    return fast, slow, pub, count


async def slow_consumer_is_closed_with_1008(gw):
    fast, slow, pub, count = await flood(gw)
    seen = 0
    try:
        while True:
            m = json.loads(await asyncio.wait_for(slow.recv(), 10))
            seen += 1
    except websockets.ConnectionClosed as e:
        assert e.code == 1008 and e.reason == "slow consumer", (e.code, e.reason)
    assert seen < count, "the slow member was not cut off"
    print(f"  slow member got {seen} of {count} before 1008; the fast one got all {count}")
    for c in (fast, pub):
        await c.close()


async def slow_consumer_is_told_its_gap(gw):
    fast, slow, pub, count = await flood(gw)
    # No message follows the flood, so the messages skipped at its end must be told as
    # soon as the slow member's output drains, not before some later message.
    covered = []
    gaps = []
    while not covered or covered[-1] < count:
        m = json.loads(await asyncio.wait_for(slow.recv(), 10))
        if m["op"] == "gap":
            gaps.append((m["from"], m["to"]))
            covered.extend(range(m["from"], m["to"] + 1))
        else:
            covered.append(m["seq"])
    assert gaps, "no gap was told"
    assert covered == list(range(1, count + 1)), "messages and gaps must cover every seq once, in order"
    # Messages published after the gap still arrive.
    await pub.send('{"op":"pub","room":"flood","data":"after"}')
    m = json.loads(await asyncio.wait_for(slow.recv(), 10))
    assert m["op"] == "msg" and m["seq"] == count + 1 and m["data"] == "after", m
    print(f"  slow member was told gaps {gaps} and got the rest, through seq {count + 1}")
    for c in (fast, slow, pub):
        await c.close()


async def slow_consumer_gets_the_latest_of_each_key(gw):
    """--slow-consumer=conflate: 8 MiB of 1 KiB messages, 10 conflation keys and every 50th
    message without a key, go to a room with a member that reads along and one that has
    stopped reading. The reader gets every message; the stopped one, once it reads, gets
    every unkeyed message, the newest value of every key, seqs in order, and notices that
    count every message it was not sent."""
    fast, slow, pub = await reader_stalled_and_publisher(gw, "ticks")
    count, keys, pad = 8000, 10, "y" * 1000
    latest = {}  # key -> the last n published with it
    unkeyed = set()
    received = [0]

    async def read_all():
        for n in range(count):
            m = json.loads(await fast.recv())
            assert m["op"] == "msg" and m["seq"] == n + 1 and m["data"]["n"] == n, m
            received[0] += 1

    reader = asyncio.create_task(read_all())
    for n in range(count):
        if n % 50 == 49:
            unkeyed.add(n)
            await pub.send(json.dumps({"op": "pub", "room": "ticks", "data": {"n": n, "pad": pad}}))
        else:
            key = f"k{n % keys}"
            latest[key] = n
            await pub.send(json.dumps({"op": "pub", "room": "ticks", "ckey": key,
                                       "data": {"k": key, "n": n, "pad": pad}}))
        while n - received[0] > 64 and not reader.done():
            await asyncio.sleep(0.0005)
    await reader  # the member that keeps up lost nothing

    seen_unkeyed, last_of_key, told, got, last_seq = set(), {}, 0, 0, 0
    notices = 0
    while got + told < count:
        m = json.loads(await asyncio.wait_for(slow.recv(), 10))
        if m["op"] == "conflated":
            assert m["room"] == "ticks" and m["count"] > 0, m
            told += m["count"]
            notices += 1
            continue
        assert m["op"] == "msg" and m["seq"] > last_seq, (m.get("seq"), last_seq)
        last_seq = m["seq"]
        got += 1
        if "k" in m["data"]:
            last_of_key[m["data"]["k"]] = m["data"]["n"]
        else:
            seen_unkeyed.add(m["data"]["n"])
    assert notices > 0 and told > 0, "nothing was conflated: the member was not slow"
    assert got + told == count, (got, told)
    assert seen_unkeyed == unkeyed, f"unkeyed messages lost: {sorted(unkeyed - seen_unkeyed)[:5]}"
    assert last_of_key == latest, ("the newest value of each key must arrive", last_of_key, latest)
    # Caught up: later messages go straight out again.
    await pub.send('{"op":"pub","room":"ticks","ckey":"k0","data":{"k":"k0","n":-1}}')
    m = json.loads(await asyncio.wait_for(slow.recv(), 10))
    assert m["op"] == "msg" and m["seq"] == count + 1 and m["data"]["n"] == -1, m
    print(f"  slow member: {got} messages and {notices} notices counting {told} replaced; "
          f"all {len(unkeyed)} unkeyed and the newest of all {keys} keys")
    for c in (fast, slow, pub):
        await c.close()


async def conflation_queue_is_bounded(gw):
    """More distinct keys waiting than --max-conflated-keys: the slow member is cut off (1008)
    rather than silently losing one; the member that keeps up is not affected."""
    fast, slow, pub = await reader_stalled_and_publisher(gw, "keys")
    count, pad = 4000, "z" * 1000
    for n in range(count):  # every message a key of its own
        await pub.send(json.dumps({"op": "pub", "room": "keys", "ckey": f"key{n}", "data": pad}))
        if n % 64 == 63:
            for _ in range(64):
                m = json.loads(await asyncio.wait_for(fast.recv(), 10))
                assert m["op"] == "msg", m
    try:
        while True:
            await asyncio.wait_for(slow.recv(), 10)
    except websockets.ConnectionClosed as e:
        assert e.code == 1008 and e.reason == "slow consumer", (e.code, e.reason)
    for c in (fast, pub):
        await c.close()


async def udp_join_needs_a_cookie(gw):
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect(("127.0.0.1", gw.udp))
    sock.setblocking(False)

    async def recv():
        return parse_env(await asyncio.wait_for(loop.sock_recv(sock, 65536), 5))

    # No cookie, or a wrong one: refused.
    sock.send(env(0x01, b"game", b"\x00" * 16))
    e = await recv()
    assert e["op"] == 0x85 and e["code"] == 10, e
    sock.send(env(0x03, b"game", b"x" * 20))
    e = await recv()
    assert e["op"] == 0x85 and e["code"] == 11, e
    # A short hello is not answered (it would amplify); a padded one gets the cookie.
    sock.send(env(0x04, with_room=False))
    sock.send(env(0x04, with_room=False, rest=b"\x00" * 29))
    c = await recv()
    assert c["op"] == 0x87 and len(c["cookie"]) == 16, c
    sock.send(env(0x01, b"game", c["cookie"], id_=b"j"))
    j = await recv()
    assert j["op"] == 0x81 and j["room"] == "game" and j["id"] == b"j", j
    ws = await websockets.connect(f"ws://127.0.0.1:{gw.ws}/")
    await ws.send('{"op":"pub","room":"game","data":[1,2,3],"id":1}')
    assert json.loads(await ws.recv())["op"] == "ack"
    m = await recv()
    assert m["op"] == 0x83 and m["data"] == b"[1,2,3]" and m["seq"] == 1, m
    # Larger than a datagram: not sent to UDP members (and counted).
    await ws.send(json.dumps({"op": "pub", "room": "game", "data": "z" * 3000, "id": 2}))
    await ws.recv()
    await ws.send('{"op":"pub","room":"game","data":"small","id":3}')
    await ws.recv()
    m = await recv()
    assert m["seq"] == 3 and m["data"] == b'"small"', m
    # A member may publish, and gets its ack over UDP.
    sock.send(env(0x03, b"game", b"hi", id_=b"p"))
    a = await recv()
    assert a["op"] == 0x84 and a["id"] == b"p" and a["seq"] == 4, a
    await ws.close()
    sock.close()


CASES = {
    "order": ([], every_member_gets_every_message_once_in_one_order, {}, {}),
    "mixed": ([], json_and_binary_members_share_payloads, {}, {}),
    "limits": (["--max-rooms-per-conn", "3", "--max-payload", "1024"], limits_answer_with_errors, {}, {}),
    "slow-close": (["--max-outbuf", "256KiB", "--close-linger", "60"], slow_consumer_is_closed_with_1008, {},
                   {"slow_closed": lambda v: v >= 1}),
    "slow-drop": (["--max-outbuf", "256KiB", "--slow-consumer", "drop", "--close-linger", "60"], slow_consumer_is_told_its_gap, {},
                  {"gaps_told": lambda v: v >= 1, "slow_closed": lambda v: v == 0}),
    "slow-conflate": (["--max-outbuf", "256KiB", "--slow-consumer", "conflate", "--close-linger", "60"],
                      slow_consumer_gets_the_latest_of_each_key, {},
                      {"conflated": lambda v: v >= 1, "slow_closed": lambda v: v == 0}),
    "conflate-bound": (["--max-outbuf", "256KiB", "--slow-consumer", "conflate", "--max-conflated-keys", "100",
                        "--close-linger", "60"], conflation_queue_is_bounded, {},
                       {"slow_closed": lambda v: v == 1}),
    "udp": ([], udp_join_needs_a_cookie, {}, {"udp_oversize": lambda v: v == 1}),
}


def run_cases(cases, deadline, report=None):
    """Runs the cases named on the command line (all by default): each entry of `cases` is
    (gateway flags, coroutine taking the Gateway, Gateway keyword options, {counter: check});
    every case gets its own gateway, and the counters it printed at exit are checked."""
    names = sys.argv[2:] or list(cases)
    for name in names:
        args, case, gateway_options, expect = cases[name]
        gw = Gateway(*args, **gateway_options)
        started = time.monotonic()
        try:
            asyncio.run(asyncio.wait_for(case(gw), deadline))
        finally:
            stats = gw.stop()
        if report:
            report(stats)
        for key, check in expect.items():
            assert check(stats.get(key, -1)), f"{name}: counter {key}={stats.get(key)}"
        assert stats.get("seq_jumps", 0) == 0, stats
        print(f"ok {name} ({time.monotonic() - started:.1f} s)")


def main():
    run_cases(CASES, DEADLINE)


if __name__ == "__main__":
    main()
