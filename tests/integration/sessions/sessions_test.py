#!/usr/bin/python3
"""Sessions that lose nothing, against the real binary on 4 shards.

Usage: sessions_test.py RINGGATE_BINARY [CASE...]

Members drop their TCP connections at random (no close handshake) and come back with
`since`/`epoch`: each must end with every seq exactly once, in order. Resumes the history
no longer covers, foreign epochs and epochs of an earlier run are refused with nothing
replayed; keyed publishes retried on a new connection are not doubled; presence counts
and notices hold across shards; and the same over raw TCP with the binary envelope.
Clients: Python's `websockets` and plain asyncio sockets. Every case is bounded in time.
"""
import asyncio
import json
import os
import random
import struct
import sys
import time

import websockets

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "rooms"))
from rooms_test import Gateway, TcpClient, env, parse_env, run_cases  # noqa: E402

DEADLINE = 90  # seconds per case at most
SANITIZED = any(k in os.environ for k in ("ASAN_OPTIONS", "TSAN_OPTIONS"))


async def ws_connect(gw):
    return await websockets.connect(f"ws://127.0.0.1:{gw.ws}/", max_size=None)


async def next_op(ws, op):
    """The next JSON reply with this op (presence notices may come in between)."""
    while True:
        m = json.loads(await ws.recv())
        if m["op"] == op:
            return m
        assert m["op"] in ("presence", "msg", "ack"), m


def bin_join(room, since=None, epoch="", info=None, presence=False, id_=b"j"):
    flags, rest = 0, b""
    if since is not None:
        flags |= 0x04
        rest += struct.pack("<QB", since, len(epoch)) + epoch.encode()
    if info is not None:
        flags |= 0x08
        rest += struct.pack("<H", len(info)) + info.encode()
    if presence:
        flags |= 0x10
    return env(0x01, room.encode(), rest, flags=flags, id_=id_)


def bin_pub(room, data, key=None, id_=b"p"):
    flags, rest = 0x02, b""
    if key is not None:
        flags |= 0x04
        rest += bytes([len(key)]) + key.encode()
    return env(0x03, room.encode(), rest + data.encode(), flags=flags, id_=id_)


# --- members that drop and resume ------------------------------------------------------

class Tally:
    def __init__(self):
        self.resumes = 0
        self.replayed_msgs = 0
        self.owner_of = {}  # seq -> the publisher's message number, the same for everyone


async def json_member(gw, room, total, tally, rng, deadline):
    """Joins, reads, drops at random, resumes; returns the seqs it saw, in order."""
    seen, epoch = [], None
    while not seen or seen[-1] < total:
        assert time.monotonic() < deadline, f"json member stuck at {seen[-1] if seen else 0}"
        ws = await ws_connect(gw)
        request = {"op": "join", "room": room, "id": 1}
        if epoch is not None:
            request.update(since=seen[-1] if seen else 0, epoch=epoch)
        await ws.send(json.dumps(request))
        joined = await next_op(ws, "joined")
        if epoch is not None:
            assert joined["recovered"] is True and joined["epoch"] == epoch, joined
            tally.resumes += 1
        else:
            assert "recovered" not in joined, joined
            assert joined["seq"] == 0, joined
        epoch = joined["epoch"]
        live_from = joined["seq"]
        drop_after = rng.randint(1, 400)
        while seen[-1] < total if seen else True:
            m = json.loads(await ws.recv())
            if m["op"] != "msg":
                continue
            expect = (seen[-1] if seen else 0) + 1
            assert m["seq"] == expect, f"got seq {m['seq']}, expected {expect}"
            if m["seq"] <= live_from:
                tally.replayed_msgs += 1
            seen.append(m["seq"])
            n = tally.owner_of.setdefault(m["seq"], m["data"]["n"])
            assert n == m["data"]["n"], (m, n)
            drop_after -= 1
            if drop_after == 0 and m["seq"] < total:
                break
        ws.transport.abort()  # a drop: no close frame, no FIN handshake of ours
        await asyncio.sleep(rng.uniform(0, 0.03))
    return seen


async def tcp_member(gw, room, total, tally, rng, deadline):
    seen, epoch = [], None
    while not seen or seen[-1] < total:
        assert time.monotonic() < deadline, f"tcp member stuck at {seen[-1] if seen else 0}"
        c = await TcpClient.open(gw.tcp)
        if epoch is None:
            c.send(bin_join(room))
        else:
            c.send(bin_join(room, since=seen[-1] if seen else 0, epoch=epoch))
        joined = await c.recv()
        while joined["op"] != 0x81:
            joined = await c.recv()
        if epoch is not None:
            assert joined.get("recovered") is True and joined["epoch"] == epoch, joined
            tally.resumes += 1
        epoch = joined["epoch"]
        drop_after = rng.randint(1, 400)
        while seen[-1] < total if seen else True:
            m = await c.recv()
            if m["op"] != 0x83:
                continue
            expect = (seen[-1] if seen else 0) + 1
            assert m["seq"] == expect, f"got seq {m['seq']}, expected {expect}"
            seen.append(m["seq"])
            n = tally.owner_of.setdefault(m["seq"], json.loads(m["data"])["n"])
            assert n == json.loads(m["data"])["n"]
            drop_after -= 1
            if drop_after == 0 and m["seq"] < total:
                break
        c.writer.transport.abort()
        await asyncio.sleep(rng.uniform(0, 0.03))
    return seen


async def dropping_publisher(gw, room, total, rng):
    """Publishes messages 0..total-1, each with its key; drops its connection at random and
    sends everything not yet acknowledged again on a new one. Returns the duplicates told."""
    unacked = {}  # n -> key
    n_next, duplicates, acked = 0, 0, {}
    while len(acked) < total:
        ws = await ws_connect(gw)
        for n in sorted(unacked):  # the retries: same key, a new connection
            await ws.send(json.dumps({"op": "pub", "room": room, "id": n, "key": unacked[n],
                                      "data": {"n": n}}))
        drop_at = n_next + rng.randint(50, 400)
        try:
            while len(acked) < total:
                while n_next < total and len(unacked) < 64:
                    unacked[n_next] = f"k{n_next}"
                    await ws.send(json.dumps({"op": "pub", "room": room, "id": n_next,
                                              "key": f"k{n_next}", "data": {"n": n_next}}))
                    n_next += 1
                    if n_next % 16 == 0:
                        await asyncio.sleep(0.004)
                a = await next_op(ws, "ack")
                if a.get("duplicate"):
                    duplicates += 1
                if a["id"] in acked:
                    assert acked[a["id"]] == a["seq"], (a, acked[a["id"]])
                acked[a["id"]] = a["seq"]
                unacked.pop(a["id"], None)
                if n_next >= drop_at and unacked:
                    break  # drop with publishes in flight: their acks are lost
        finally:
            ws.transport.abort()
    assert sorted(acked.values()) == list(range(1, total + 1)), "each message one seq"
    return duplicates


async def members_drop_and_resume_under_load(gw):
    room, total = "churn", 3000 if not SANITIZED else 1200
    rng = random.Random(7)
    tally = Tally()
    deadline = time.monotonic() + DEADLINE - 10
    members = [json_member(gw, room, total, tally, random.Random(i), deadline) for i in range(8)]
    members += [tcp_member(gw, room, total, tally, random.Random(100 + i), deadline) for i in range(4)]
    tasks = [asyncio.create_task(m) for m in members]
    await asyncio.sleep(0.3)  # every member has joined before the first publish
    duplicates = await dropping_publisher(gw, room, total, rng)
    for seen in await asyncio.gather(*tasks):
        assert seen == list(range(1, total + 1))
    assert sorted(tally.owner_of.values()) == list(range(total)), "each message exactly once"
    assert tally.resumes >= 12 * 3, tally.resumes
    print(f"  {tally.resumes} resumes, {tally.replayed_msgs} messages replayed to JSON members, "
          f"{duplicates} retried publishes told duplicate")


# --- refusals: all or nothing ----------------------------------------------------------

async def drain_then_expect_live(ws, seq):
    """The next `msg` must be the live one with this seq: nothing was replayed."""
    m = await next_op(ws, "msg")
    assert m["seq"] == seq, f"replayed {m} after a refused resume"


async def resumes_the_history_cannot_cover_are_refused(gw):
    ws = await ws_connect(gw)
    await ws.send(json.dumps({"op": "join", "room": "old"}))
    epoch = (await next_op(ws, "joined"))["epoch"]
    await ws.close()
    pub = await ws_connect(gw)
    for n in range(100):
        await pub.send(json.dumps({"op": "pub", "room": "old", "id": n, "data": n}))
    for n in range(100):
        await next_op(pub, "ack")
    # --history 10 keeps 91..100: since=5 would need 6..100.
    ws = await ws_connect(gw)
    await ws.send(json.dumps({"op": "join", "room": "old", "since": 5, "epoch": epoch}))
    joined = await next_op(ws, "joined")
    assert joined["recovered"] is False and joined["seq"] == 100 and joined["epoch"] == epoch, joined
    await pub.send(json.dumps({"op": "pub", "room": "old", "data": "live"}))
    await drain_then_expect_live(ws, 101)
    # Within the history (92..101 with 101 published) and --max-replay (8): recovered.
    ws2 = await ws_connect(gw)
    await ws2.send(json.dumps({"op": "join", "room": "old", "since": 93, "epoch": epoch}))
    joined = await next_op(ws2, "joined")
    assert joined["recovered"] is True and joined["seq"] == 101, joined
    got = [(await next_op(ws2, "msg"))["seq"] for _ in range(8)]
    assert got == list(range(94, 102)), got
    # Past --max-replay: refused although the history has it.
    ws3 = await ws_connect(gw)
    await ws3.send(json.dumps({"op": "join", "room": "old", "since": 92, "epoch": epoch}))
    assert (await next_op(ws3, "joined"))["recovered"] is False
    # A foreign epoch, and a client ahead of the room.
    ws4 = await ws_connect(gw)
    await ws4.send(json.dumps({"op": "join", "room": "old", "since": 99, "epoch": "0" * 16}))
    assert (await next_op(ws4, "joined"))["recovered"] is False
    ws5 = await ws_connect(gw)
    await ws5.send(json.dumps({"op": "join", "room": "old", "since": 500, "epoch": epoch}))
    assert (await next_op(ws5, "joined"))["recovered"] is False
    # No epoch given: recovered when the history covers it.
    ws6 = await ws_connect(gw)
    await ws6.send(json.dumps({"op": "join", "room": "old", "since": 100}))
    j6 = await next_op(ws6, "joined")
    assert j6["recovered"] is True, j6
    assert (await next_op(ws6, "msg"))["seq"] == 101
    await pub.send(json.dumps({"op": "pub", "room": "old", "data": "live"}))
    for w in (ws, ws3, ws4, ws5):
        await drain_then_expect_live(w, 102)
    assert (await next_op(ws2, "msg"))["seq"] == 102
    assert (await next_op(ws6, "msg"))["seq"] == 102
    for w in (ws, ws2, ws3, ws4, ws5, ws6, pub):
        await w.close()


async def epoch_of_a_room(gw, room):
    ws = await ws_connect(gw)
    await ws.send(json.dumps({"op": "join", "room": room}))
    joined = await next_op(ws, "joined")
    await ws.close()
    return joined


def after_a_restart_the_epoch_differs():
    gw = Gateway()
    try:
        first = asyncio.run(epoch_of_a_room(gw, "r"))
    finally:
        gw.stop()
    gw = Gateway()
    try:
        async def again():
            second = await epoch_of_a_room(gw, "r")
            assert second["epoch"] != first["epoch"] and len(second["epoch"]) >= 16, (first, second)
            ws = await ws_connect(gw)
            await ws.send(json.dumps({"op": "join", "room": "r", "since": 0, "epoch": first["epoch"]}))
            assert (await next_op(ws, "joined"))["recovered"] is False
            await ws.close()
        asyncio.run(asyncio.wait_for(again(), DEADLINE))
    finally:
        gw.stop()


# --- keyed publishes -------------------------------------------------------------------

async def a_keyed_publish_retried_is_not_doubled(gw):
    member = await ws_connect(gw)
    await member.send(json.dumps({"op": "join", "room": "k"}))
    await next_op(member, "joined")
    # Published, then the connection drops before the ack is read.
    p = await ws_connect(gw)
    await p.send(json.dumps({"op": "pub", "room": "k", "id": 1, "key": "order-17", "data": {"q": 1}}))
    first = await next_op(member, "msg")
    p.transport.abort()
    # The retry, on new connections (spread over the shards by the kernel).
    for attempt in range(6):
        p = await ws_connect(gw)
        await p.send(json.dumps({"op": "pub", "room": "k", "id": 2, "key": "order-17", "data": {"q": 1}}))
        a = await next_op(p, "ack")
        assert len(a.pop("epoch")) == 16, a
        assert a == {"op": "ack", "id": 2, "seq": first["seq"], "duplicate": True}, a
        await p.close()
    # The same key in another room is another message; a new key is published.
    t = await TcpClient.open(gw.tcp)
    t.send(bin_pub("k", '{"q":2}', key="order-18"))
    a = await t.recv()
    assert a["op"] == 0x84 and not a["duplicate"] and a["seq"] == first["seq"] + 1, a
    t.send(bin_pub("k", '{"q":2}', key="order-18"))
    a = await t.recv()
    assert a["op"] == 0x84 and a["duplicate"] and a["seq"] == first["seq"] + 1, a
    t.send(bin_pub("k", '{"q":1}', key="order-17"))  # seen first from a JSON client
    a = await t.recv()
    assert a["duplicate"] and a["seq"] == first["seq"], a
    m = await next_op(member, "msg")
    assert m["seq"] == first["seq"] + 1 and m["data"] == {"q": 2}, m
    await member.send(json.dumps({"op": "ping", "id": 9}))
    assert (await next_op(member, "pong"))["id"] == 9  # nothing else came before it
    await member.close()


# --- presence --------------------------------------------------------------------------

async def presence_counts_and_tells_across_shards(gw):
    watchers = []
    names = {}
    for i in range(10):  # the kernel spreads them over the 4 shards
        ws = await ws_connect(gw)
        await ws.send(json.dumps({"op": "join", "room": "lobby", "presence": i == 0 or i == 5,
                                  "info": {"user": f"u{i}"}}))
        joined = await next_op(ws, "joined")
        names[joined["member"]] = f"u{i}"
        watchers.append(ws)
    assert len(names) == 10, "member names are unique in the gateway"
    assert len({n.split(".")[0] for n in names}) > 1, f"all on one shard: {names}"
    q = await ws_connect(gw)
    await q.send(json.dumps({"op": "presence", "room": "lobby", "id": "q"}))
    p = await next_op(q, "presence")
    # --presence-limit 4: the list is cut, the count is not.
    assert p["count"] == 10 and p["id"] == "q" and len(p["members"]) == 4, p
    assert all(names[m["member"]] == m["info"]["user"] for m in p["members"]), p
    # The watchers heard the later joins: watcher 0 heard 1..9, watcher 5 heard 6..9.
    for index, expect in ((0, range(1, 10)), (5, range(6, 10))):
        heard = set()
        for _ in expect:
            e = json.loads(await watchers[index].recv())
            assert e["op"] == "presence" and e["event"] == "join", e
            assert names[e["member"]] == e["info"]["user"], e
            heard.add(e["info"]["user"])
        assert heard == {f"u{i}" for i in expect}, heard
    # Three drop without a word: the watchers hear them leave, the count follows.
    gone = set()
    for i in (2, 3, 7):
        watchers[i].transport.abort()
        gone.add(next(n for n, u in names.items() if u == f"u{i}"))
    heard = set()
    while heard != gone:
        e = json.loads(await asyncio.wait_for(watchers[0].recv(), 10))
        assert e["op"] == "presence" and e["event"] == "leave" and e["member"] in gone, e
        heard.add(e["member"])
    await q.send(json.dumps({"op": "presence", "room": "lobby", "id": "q2"}))
    p = await next_op(q, "presence")
    assert p["count"] == 7 and not gone & {m["member"] for m in p["members"]}, p
    t = await TcpClient.open(gw.tcp)
    t.send(bin_join("lobby", info='{"user":"tcp"}', presence=True))
    j = await t.recv()
    assert j["op"] == 0x81, j
    t.send(env(0x06, b"lobby", id_=b"pq"))
    p = await t.recv()
    while p["op"] != 0x89:
        p = await t.recv()
    assert p["count"] == 8 and len(p["members"]) == 4 and p["id"] == b"pq", p
    await watchers[0].close()  # a leave, told to the TCP watcher in the binary form
    e = await t.recv()
    assert e["op"] == 0x8a and e["event"] == "leave" and names[e["member"]] == "u0", e
    # Info past --max-presence-info, or not an object, is refused.
    big = await ws_connect(gw)
    await big.send(json.dumps({"op": "join", "room": "lobby", "info": {"x": "y" * 300}}))
    assert (await next_op(big, "error"))["code"] == "too_large"
    t.send(bin_join("lobby2", info='[1]'))
    assert (await t.recv())["code"] == 1  # bad_json
    for ws in [*watchers[1:], q, big]:
        if ws.open:
            await ws.close()
    t.writer.close()


# --- raw TCP, binary envelope ----------------------------------------------------------

async def binary_members_resume_too(gw):
    t = await TcpClient.open(gw.tcp)
    t.send(bin_join("b"))
    j = await t.recv()
    assert j["op"] == 0x81 and "recovered" not in j and len(j["epoch"]) == 16, j
    epoch = j["epoch"]
    t.writer.transport.abort()
    p = await TcpClient.open(gw.tcp)
    for n in range(5):
        p.send(bin_pub("b", str(n), key=f"b{n}"))
    for n in range(5):
        assert (await p.recv())["seq"] == n + 1
    t = await TcpClient.open(gw.tcp)
    t.send(bin_join("b", since=2, epoch=epoch))
    j = await t.recv()
    assert j["op"] == 0x81 and j["recovered"] is True and j["seq"] == 5, j
    got = [(await t.recv())["seq"] for _ in range(3)]
    assert got == [3, 4, 5], got
    p.send(bin_pub("b", "5", key="b5"))
    assert (await t.recv())["seq"] == 6
    u = await TcpClient.open(gw.tcp)
    u.send(bin_join("b", since=1, epoch="f" * 16))
    j = await u.recv()
    assert j["op"] == 0x81 and j["recovered"] is False and j["seq"] == 6, j


# --- where Socket.IO's recovery fails ----------------------------------------------------

async def resumes_hold_where_socketio_recovery_does_not(gw):
    pub = await ws_connect(gw)

    async def publish(room, n):
        for i in range(n):
            await pub.send(json.dumps({"op": "pub", "room": room, "id": i, "data": i}))
        for _ in range(n):
            await next_op(pub, "ack")

    # 1. No message received yet: the joined seq is the resume point.
    a = await ws_connect(gw)
    await a.send(json.dumps({"op": "join", "room": "q1"}))
    ja = await next_op(a, "joined")
    a.transport.abort()
    await publish("q1", 4)
    a = await ws_connect(gw)
    await a.send(json.dumps({"op": "join", "room": "q1", "since": ja["seq"], "epoch": ja["epoch"]}))
    assert (await next_op(a, "joined"))["recovered"] is True
    assert [(await next_op(a, "msg"))["seq"] for _ in range(4)] == [1, 2, 3, 4]
    # 2. The drop is noticed late: the old connection is still a member (never closed)
    # when the new one resumes. Each gets its own messages, the new one every missed one.
    old = await ws_connect(gw)
    await old.send(json.dumps({"op": "join", "room": "q2"}))
    jo = await next_op(old, "joined")
    await publish("q2", 2)
    assert [(await next_op(old, "msg"))["seq"] for _ in range(2)] == [1, 2]
    await publish("q2", 3)  # the client "lost" these on the old connection
    new = await ws_connect(gw)
    await new.send(json.dumps({"op": "join", "room": "q2", "since": 2, "epoch": jo["epoch"]}))
    assert (await next_op(new, "joined"))["recovered"] is True
    assert [(await next_op(new, "msg"))["seq"] for _ in range(3)] == [3, 4, 5]
    await publish("q2", 1)
    assert (await next_op(new, "msg"))["seq"] == 6
    # 3. A quiet client: nothing published for a while, then its resume still holds (history
    # is kept by count and bytes, not by time).
    q = await ws_connect(gw)
    await q.send(json.dumps({"op": "join", "room": "q3"}))
    jq = await next_op(q, "joined")
    await publish("q3", 2)
    q.transport.abort()
    await asyncio.sleep(2.5)
    q = await ws_connect(gw)
    await q.send(json.dumps({"op": "join", "room": "q3", "since": 0, "epoch": jq["epoch"]}))
    assert (await next_op(q, "joined"))["recovered"] is True
    assert [(await next_op(q, "msg"))["seq"] for _ in range(2)] == [1, 2]
    for w in (a, old, new, q, pub):
        await w.close()


# --- durable sessions: a token takes a dropped connection's rooms back ------------------

async def a_session_token_brings_the_rooms_back(gw):
    ws = await ws_connect(gw)
    await ws.send(json.dumps({"op": "session", "id": 1}))
    s = await next_op(ws, "session")
    assert s["resumed"] is False and s["id"] == 1 and s["session"], s
    token = s["session"]
    await ws.send(json.dumps({"op": "join", "room": "s1", "info": {"n": 1}, "presence": True}))
    await ws.send(json.dumps({"op": "join", "room": "s2"}))
    first = {}
    for _ in range(2):
        j = await next_op(ws, "joined")
        first[j["room"]] = j
    pub = await ws_connect(gw)
    for n in range(3):
        await pub.send(json.dumps({"op": "pub", "room": "s1", "id": n, "data": n}))
        await next_op(pub, "ack")
    got = [(await next_op(ws, "msg"))["seq"] for _ in range(3)]
    assert got == [1, 2, 3], got
    ws.transport.abort()
    await asyncio.sleep(0.2)  # the gateway keeps the session's record
    for n in range(3, 8):
        await pub.send(json.dumps({"op": "pub", "room": "s1", "id": n, "data": n}))
        await pub.send(json.dumps({"op": "pub", "room": "s2", "id": 100 + n, "data": n}))
    for _ in range(10):
        await next_op(pub, "ack")
    # A new connection on another shard than the session's home (the token names it; a
    # member name names its connection's shard) takes the session back; the token is
    # then spent.
    home = token.split("-")[0]
    back = None
    for attempt in range(40):
        c = await ws_connect(gw)
        await c.send(json.dumps({"op": "join", "room": "probe"}))
        if (await next_op(c, "joined"))["member"].split(".")[0] != home:
            back = c
            break
        await c.close()
    assert back is not None, "no connection landed on another shard"
    await back.send(json.dumps({"op": "leave", "room": "probe"}))
    await next_op(back, "left")
    others = [back, await ws_connect(gw), await ws_connect(gw)]
    # The client says where it is in s1 (exact); s2 resumes from what the gateway handed.
    await back.send(json.dumps({"op": "session", "session": token, "rooms": {"s1": 3}, "id": 2}))
    s = await next_op(back, "session")
    assert s["resumed"] is True and s["session"] != token, s
    joined = {}
    seen = {"s1": [], "s2": []}
    while len(joined) < 2 or len(seen["s1"]) < 5 or len(seen["s2"]) < 5:
        m = json.loads(await back.recv())
        if m["op"] == "joined":
            assert m["recovered"] is True, m
            joined[m["room"]] = m
        elif m["op"] == "msg":
            assert m["room"] in joined, "a message before its room's joined"
            seen[m["room"]].append(m["seq"])
    assert seen == {"s1": [4, 5, 6, 7, 8], "s2": [1, 2, 3, 4, 5]}, seen
    assert all(joined[r]["epoch"] == first[r]["epoch"] for r in ("s1", "s2")), (joined, first)
    # The presence info came back too.
    await back.send(json.dumps({"op": "presence", "room": "s1", "id": 3}))
    p = await next_op(back, "presence")
    assert p["count"] == 1 and p["members"][0]["info"] == {"n": 1}, p
    # A spent token, and a made-up one, give a new session with nothing in it.
    await others[1].send(json.dumps({"op": "session", "session": token}))
    assert (await next_op(others[1], "session"))["resumed"] is False
    await others[2].send(json.dumps({"op": "session", "session": "9-00"}))
    assert (await next_op(others[2], "session"))["resumed"] is False
    # Over raw TCP with the binary envelope: a new session, dropped, taken back.
    t = await TcpClient.open(gw.tcp)
    t.send(env(0x07, with_room=False, id_=b"s"))
    r = await t.recv()
    assert r["op"] == 0x8b, r
    t.send(bin_join("s1"))
    assert (await t.recv())["op"] == 0x81
    t.writer.transport.abort()
    await asyncio.sleep(0.2)
    await pub.send(json.dumps({"op": "pub", "room": "s1", "id": 50, "data": "x"}))
    await next_op(pub, "ack")
    t = await TcpClient.open(gw.tcp)
    tok = r["token"].encode()
    t.send(env(0x07, rest=bytes([len(tok)]) + tok + struct.pack("<H", 0), flags=0x04,
               with_room=False))
    r2 = await t.recv()
    assert r2["op"] == 0x8b and r2["resumed"], r2
    j = await t.recv()
    assert j["op"] == 0x81 and j["recovered"] is True and j["seq"] == 9, j
    assert (await t.recv())["seq"] == 9
    for w in (back, *others[1:], pub):
        await w.close()


CASES = {
    "churn": (["--history", "10000"], members_drop_and_resume_under_load, {},
              {"resumes": lambda v: v >= 36, "recovered": lambda v: v >= 36, "unrecovered": lambda v: v == 0,
               "duplicates": lambda v: v >= 0}),
    "refused": (["--history", "10", "--max-replay", "8"], resumes_the_history_cannot_cover_are_refused,
                {}, {"replayed": lambda v: v == 9, "unrecovered": lambda v: v == 4}),
    "keyed": ([], a_keyed_publish_retried_is_not_doubled, {}, {"duplicates": lambda v: v == 8}),
    "presence": (["--presence-limit", "4", "--max-presence-info", "256"],
                 presence_counts_and_tells_across_shards, {}, {}),
    "binary": ([], binary_members_resume_too, {}, {"recovered": lambda v: v == 1}),
    "unreliable": ([], resumes_hold_where_socketio_recovery_does_not, {}, {}),
    "session": ([], a_session_token_brings_the_rooms_back, {},
                {"sessions_kept": lambda v: v >= 2, "sessions_resumed": lambda v: v == 2}),
}


def main():
    names = sys.argv[2:] or [*CASES, "restart"]
    if "restart" in names:
        started = time.monotonic()
        after_a_restart_the_epoch_differs()
        print(f"ok restart ({time.monotonic() - started:.1f} s)")
    sys.argv[2:] = [n for n in names if n != "restart"]
    if sys.argv[2:]:
        run_cases(CASES, DEADLINE)


if __name__ == "__main__":
    main()
