#!/usr/bin/python3
"""What a single hostile client could do to the gateway, against the real binary.

Usage: hardening_test.py RINGGATE_BINARY CASE

Each case starts the gateway on loopback, attacks it the way a hostile client would, and
checks that the attacker gets the protocol's error and is cut off while well-behaved
clients keep their service, their messages and the gateway its memory. Every case is
bounded in time; the process exits non-zero on the first failure.
"""
import asyncio
import json
import os
import socket
import struct
import sys
import time

import websockets

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "rooms"))
from rooms_test import Gateway, TcpClient, env, parse_env  # noqa: E402

DEADLINE = 90  # seconds per case at most

# --- 1. forged fields: data must be exactly one JSON value on every transport --------------

VALUES = ['"hi"', "null", "false", "true", "12", "-1.5e3", "{}", "[]", '{"a":[1,null]}', '["x"]']
TAILS = [',"op":"gap","from":1,"to":99999', ',"op":"error","code":"x"', "}", "]", "\x00",
         " x", ",1", '"']


class UdpPeer:
    """A UDP member that has joined `room` with a cookie, so it may publish."""

    @classmethod
    async def open(cls, port, room):
        self = cls()
        self.loop = asyncio.get_running_loop()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.connect(("127.0.0.1", port))
        self.sock.setblocking(False)
        self.send(env(0x04, with_room=False, rest=b"\x00" * 29))
        cookie = (await self.recv())["cookie"]
        self.send(env(0x01, room, cookie))
        assert (await self.recv())["op"] == 0x81
        return self

    def send(self, payload):
        self.sock.send(payload)

    async def recv(self):
        return parse_env(await asyncio.wait_for(self.loop.sock_recv(self.sock, 65536), 5))


async def forged_fields_are_refused_on_every_transport(gw):
    member = await websockets.connect(f"ws://127.0.0.1:{gw.ws}/")
    await member.send('{"op":"join","room":"forge"}')
    assert json.loads(await member.recv())["op"] == "joined"

    tcp = await TcpClient.open(gw.tcp)
    wsb = await websockets.connect(f"ws://127.0.0.1:{gw.ws}/")
    udp = await UdpPeer.open(gw.udp, b"udp-home")

    async def tcp_pub(frame):
        tcp.send(frame)
        return await asyncio.wait_for(tcp.recv(), 5)

    async def ws_pub(frame):
        await wsb.send(frame)
        return parse_env(await asyncio.wait_for(wsb.recv(), 5))

    async def udp_pub(frame):
        udp.send(frame)
        return await udp.recv()

    refused = accepted = 0
    for name, pub in (("tcp", tcp_pub), ("ws-binary", ws_pub), ("udp", udp_pub)):
        for value in VALUES:
            for tail in TAILS:
                data = (value + tail).encode()
                reply = await pub(env(0x03, b"forge", data, flags=0x02, id_=b"f"))
                assert reply["op"] == 0x85 and reply["code"] == 1 and reply["id"] == b"f", \
                    f"{name}: {data!r} was not refused as bad JSON: {reply}"
                refused += 1
            reply = await pub(env(0x03, b"forge", (" " + value + " ").encode(), flags=0x02, id_=b"ok"))
            assert reply["op"] == 0x84 and reply["id"] == b"ok", f"{name}: {value} refused: {reply}"
            accepted += 1
    # The JSON member gets exactly the accepted values, each in a frame with nothing but
    # the gateway's own four fields.
    seqs = []
    for n in range(accepted):
        frame = await asyncio.wait_for(member.recv(), 5)
        m = json.loads(frame)
        assert set(m) == {"op", "room", "seq", "data"}, frame
        assert m["op"] == "msg" and m["room"] == "forge", frame
        assert m["data"] == json.loads(VALUES[n % len(VALUES)]), frame
        seqs.append(m["seq"])
    assert seqs == list(range(1, accepted + 1)), seqs
    try:
        extra = await asyncio.wait_for(member.recv(), 0.3)
        raise AssertionError(f"a refused publish reached a member: {extra}")
    except asyncio.TimeoutError:
        pass
    print(f"  {refused} forged publishes refused over TCP, WebSocket binary and UDP; "
          f"{accepted} honest ones delivered intact")
    for c in (member, wsb):
        await c.close()
    tcp.writer.close()
    udp.sock.close()


CASES = {
    "forged": ([], forged_fields_are_refused_on_every_transport),
}


def main():
    names = sys.argv[2:] or list(CASES)
    for name in names:
        args, case = CASES[name]
        gw = Gateway(*args)
        started = time.monotonic()
        try:
            asyncio.run(asyncio.wait_for(case(gw), DEADLINE))
        finally:
            stats = gw.stop()
        assert stats.get("seq_jumps", 0) == 0, stats
        print(f"ok {name} ({time.monotonic() - started:.1f} s)")


if __name__ == "__main__":
    main()
