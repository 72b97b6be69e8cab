#!/usr/bin/python3
"""--auth required against the real binary on 2 shards: tokens on the WebSocket upgrade
(?token=, Authorization: Bearer; 401 with a JSON error otherwise), in a first auth frame,
or none in time (closed 4003); room ACLs (forbidden, the connection stays); the token's
presence info; expiry (token_expired, a refresh keeps the connection, none closes it 4001);
raw TCP and UDP auth envelopes; Socket.IO's CONNECT auth; RS256 and EdDSA keys made by the
openssl command; the failures counted in /metrics.

Usage: auth_test.py RINGGATE_BINARY [CASE...]
"""
import asyncio
import atexit
import base64
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import websockets

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "rooms"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rooms_test import TcpClient, env, parse_env, run_cases  # noqa: E402
from operations_test import scrape, udp_hello  # noqa: E402

DEADLINE = 60
SECRET = "test-secret-0123456789abcdef0123"
DIR = tempfile.mkdtemp(prefix="ringgate-auth-")
atexit.register(shutil.rmtree, DIR, True)
SECRET_FILE = os.path.join(DIR, "secret")
with open(SECRET_FILE, "w") as f:
    f.write(SECRET + "\n")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256(claims, secret=SECRET, alg="HS256"):
    head = b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = b64url(json.dumps(claims).encode())
    signed = f"{head}.{body}"
    mac = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{b64url(mac)}"


def openssl_token(alg, key_file, claims):
    signed = f"{b64url(json.dumps({'alg': alg}).encode())}.{b64url(json.dumps(claims).encode())}"
    data = os.path.join(DIR, "data")
    with open(data, "wb") as f:
        f.write(signed.encode())
    if alg == "RS256":
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key_file, data],
                             capture_output=True, check=True).stdout
    else:  # EdDSA: Ed25519 signs the message itself
        sig = subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", key_file, "-rawin",
                              "-in", data], capture_output=True, check=True).stdout
    return f"{signed}.{b64url(sig)}"


def now():
    return int(time.time())


async def upgrade_status(gw, path="/", headers=None):
    """The upgrade's status and body, on a raw socket."""
    reader, writer = await asyncio.open_connection("127.0.0.1", gw.ws)
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    writer.write((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  f"Sec-WebSocket-Version: 13\r\n{extra}\r\n").encode())
    head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)).decode()
    status = int(head.split(" ")[1])
    body = b""
    for line in head.split("\r\n"):
        if line.lower().startswith("content-length:"):
            body = await reader.readexactly(int(line.split(":")[1]))
    writer.close()
    return status, body


async def expect_close(ws, code):
    try:
        while True:
            await asyncio.wait_for(ws.recv(), 10)
    except websockets.ConnectionClosed as e:
        assert e.code == code, (e.code, code)


async def case_websocket(gw):
    token = hs256({"sub": "ann", "exp": now() + 600})
    for kw in ({"path": f"/?token={token}"}, {"headers": {"Authorization": f"Bearer {token}"}}):
        url = f"ws://127.0.0.1:{gw.ws}{kw.get('path', '/')}"
        async with websockets.connect(url, extra_headers=kw.get("headers")) as ws:
            await ws.send('{"op":"join","room":"r","id":1}')
            assert json.loads(await asyncio.wait_for(ws.recv(), 5))["op"] == "joined"
    # Refused at the upgrade: 401 and a JSON body naming the problem.
    for bad, code in ((hs256({"sub": "x"}, secret="wrong"), "unauthorized"),
                      (hs256({"sub": "x", "exp": now() - 60}), "token_expired"),
                      (b64url(b'{"alg":"none"}') + "." + b64url(b'{"sub":"x"}') + ".", "unauthorized"),
                      ("garbage", "unauthorized")):
        status, body = await upgrade_status(gw, f"/?token={bad}")
        assert status == 401 and json.loads(body)["error"]["code"] == code, (status, body)
    # No token on the upgrade: the first frame authenticates (browsers).
    async with websockets.connect(f"ws://127.0.0.1:{gw.ws}/") as ws:
        await ws.send(json.dumps({"op": "auth", "token": token, "id": 7}))
        reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert reply == {"op": "auth", "sub": "ann", "exp": reply["exp"], "id": 7}, reply
        await ws.send('{"op":"join","room":"r"}')
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["op"] == "joined"
    # A request before the token: unauthorized, closed 4003.
    async with websockets.connect(f"ws://127.0.0.1:{gw.ws}/") as ws:
        await ws.send('{"op":"join","room":"r","id":2}')
        e = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert e["op"] == "error" and e["code"] == "unauthorized" and e["id"] == 2, e
        await expect_close(ws, 4003)
    # A bad token in the auth frame: closed too.
    async with websockets.connect(f"ws://127.0.0.1:{gw.ws}/") as ws:
        await ws.send(json.dumps({"op": "auth", "token": hs256({}, secret="nope")}))
        e = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert e["code"] == "unauthorized", e
        await expect_close(ws, 4003)
    # Nothing at all within --handshake-timeout (1 s here): closed 4003.
    started = time.monotonic()
    async with websockets.connect(f"ws://127.0.0.1:{gw.ws}/") as ws:
        await expect_close(ws, 4003)
    assert time.monotonic() - started < 3
    # /echo needs no token.
    async with websockets.connect(f"ws://127.0.0.1:{gw.ws}/echo") as ws:
        await ws.send("hi")
        assert await asyncio.wait_for(ws.recv(), 5) == "hi"
    _, samples = await scrape(gw)
    assert samples['ringgate_auth_failures_total{reason="invalid"}'] >= 4, samples
    assert samples['ringgate_auth_failures_total{reason="expired"}'] >= 1, samples
    assert samples['ringgate_auth_failures_total{reason="missing"}'] >= 2, samples
    print("  ?token= and Bearer, 401s, the auth frame, 4003 without a token in time")


async def case_acl(gw):
    token = hs256({"sub": "bo", "info": {"name": "Bo (verified)"},
                   "rooms": {"join": ["lobby", "game:*"], "pub": ["game:1"]}})
    ws = await websockets.connect(f"ws://127.0.0.1:{gw.ws}/?token={token}")

    async def ask(request):
        await ws.send(json.dumps(request))
        return json.loads(await asyncio.wait_for(ws.recv(), 5))

    assert (await ask({"op": "join", "room": "lobby", "info": {"name": "fake"}}))["op"] == "joined"
    r = await ask({"op": "join", "room": "secret", "id": 1})
    assert r["op"] == "error" and r["code"] == "forbidden" and r["id"] == 1, r
    assert (await ask({"op": "join", "room": "game:5"}))["op"] == "joined"  # the connection stays
    r = await ask({"op": "pub", "room": "lobby", "data": 1, "id": 2})
    assert r["code"] == "forbidden", r
    r = await ask({"op": "pub", "room": "game:1", "data": 1, "id": 3})
    assert r["op"] == "ack", r
    r = await ask({"op": "presence", "room": "lobby", "id": 4})
    assert r["members"][0]["info"] == {"name": "Bo (verified)"}, r  # the token's info wins
    r = await ask({"op": "presence", "room": "secret", "id": 5})
    assert r["code"] == "forbidden", r
    await ws.close()
    _, samples = await scrape(gw)
    assert samples['ringgate_auth_failures_total{reason="forbidden"}'] == 3, samples
    print("  joins and publishes as the rooms claim allows; the token's info in presence")


async def case_expiry(gw):
    # --token-grace 1: told token_expired at exp; a refresh keeps it, none closes it 4001.
    exp = now() + 2
    kept = await websockets.connect(f"ws://127.0.0.1:{gw.ws}/?token={hs256({'sub': 'c', 'exp': exp})}")
    dropped = await websockets.connect(
        f"ws://127.0.0.1:{gw.ws}/?token={hs256({'sub': 'd', 'exp': exp})}")
    for ws in (kept, dropped):
        await ws.send('{"op":"join","room":"x"}')
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["op"] == "joined"
    told = json.loads(await asyncio.wait_for(kept.recv(), 10))
    assert told["op"] == "error" and told["code"] == "token_expired", told
    # A refresh for another sub is refused; for the same one it is taken.
    await kept.send(json.dumps({"op": "auth", "token": hs256({"sub": "zz", "exp": now() + 60})}))
    assert json.loads(await asyncio.wait_for(kept.recv(), 5))["code"] == "unauthorized"
    await kept.send(json.dumps({"op": "auth", "token": hs256({"sub": "c", "exp": now() + 60})}))
    assert json.loads(await asyncio.wait_for(kept.recv(), 5))["op"] == "auth"
    await expect_close(dropped, 4001)
    await asyncio.sleep(1.5)
    await kept.send('{"op":"ping","id":1}')
    assert json.loads(await asyncio.wait_for(kept.recv(), 5))["op"] == "pong"
    await kept.close()
    print("  token_expired at exp; refreshed: kept; not refreshed: closed 4001 after the grace")


async def case_stream(gw):
    token = hs256({"sub": "t", "rooms": {"join": ["t*"], "pub": ["t1"]}})
    c = await TcpClient.open(gw.tcp)
    c.send(env(0x08, with_room=False, id_=b"a", rest=token.encode()))
    reply = await asyncio.wait_for(c.recv(), 5)
    assert reply["op"] == 0x8c and reply["id"] == b"a", reply
    c.send(env(0x01, b"t1", id_=b"j"))
    assert (await asyncio.wait_for(c.recv(), 5))["op"] == 0x81
    c.send(env(0x01, b"other", id_=b"k"))
    e = await asyncio.wait_for(c.recv(), 5)
    assert e["op"] == 0x85 and e["code"] == 20, e  # forbidden
    c.writer.close()
    # Before a token: unauthorized (18), closed.
    c = await TcpClient.open(gw.tcp)
    c.send(env(0x01, b"t1", id_=b"j"))
    e = await asyncio.wait_for(c.recv(), 5)
    assert e["op"] == 0x85 and e["code"] == 18, e
    try:
        await asyncio.wait_for(c.recv(), 5)
        raise AssertionError("still open")
    except (asyncio.IncompleteReadError, ConnectionResetError):
        pass
    # UDP: hello, then auth with the cookie, then join.
    loop = asyncio.get_running_loop()
    sock, cookie = await udp_hello(gw)
    sock.send(env(0x01, b"t1", cookie, id_=b"j"))  # a join first: refused, not a member
    e = parse_env(await asyncio.wait_for(loop.sock_recv(sock, 65536), 5))
    assert e["op"] == 0x85 and e["code"] == 18, e
    sock.send(env(0x08, flags=0x04, with_room=False, rest=token.encode() + cookie))
    assert parse_env(await asyncio.wait_for(loop.sock_recv(sock, 65536), 5))["op"] == 0x8c
    sock.send(env(0x01, b"t1", id_=b"j"))
    assert parse_env(await asyncio.wait_for(loop.sock_recv(sock, 65536), 5))["op"] == 0x81
    sock.close()
    print("  raw TCP and UDP authenticate with an auth envelope first")


async def case_socketio(gw):
    token = hs256({"sub": "s", "rooms": {"join": ["s"], "pub": ["s"]}})
    url = f"ws://127.0.0.1:{gw.ws}/socket.io/?EIO=4&transport=websocket"
    async with websockets.connect(url) as ws:
        assert (await asyncio.wait_for(ws.recv(), 5)).startswith("0{")
        await ws.send("40" + json.dumps({"token": token}))
        assert (await asyncio.wait_for(ws.recv(), 5)).startswith('40{"sid"')
        await ws.send('421["join","s"]')
        assert (await asyncio.wait_for(ws.recv(), 5)).startswith('431[{"room":"s"')
        await ws.send('422["join","t"]')
        r = await asyncio.wait_for(ws.recv(), 5)
        assert r.startswith('432[{"error":{"code":"forbidden"'), r
    for auth in ("", json.dumps({"token": hs256({}, secret="bad")})):
        async with websockets.connect(url) as ws:
            await asyncio.wait_for(ws.recv(), 5)
            await ws.send("40" + auth)
            assert await asyncio.wait_for(ws.recv(), 5) == '44{"message":"unauthorized"}'
    print("  Socket.IO: CONNECT's auth token, CONNECT_ERROR unauthorized, forbidden acks")


KEYS = {}


def make_keys():
    for alg, args in (("RS256", ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]),
                      ("EdDSA", ["-algorithm", "ED25519"])):
        key = os.path.join(DIR, f"{alg}.key")
        pub = os.path.join(DIR, f"{alg}.pub")
        subprocess.run(["openssl", "genpkey", *args, "-out", key], check=True, capture_output=True)
        subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-out", pub], check=True,
                       capture_output=True)
        KEYS[alg] = (key, pub)


make_keys()


def public_key_case(alg):
    async def case(gw):
        key, _ = KEYS[alg]
        token = openssl_token(alg, key, {"sub": alg, "aud": "games", "exp": now() + 60})
        async with websockets.connect(f"ws://127.0.0.1:{gw.ws}/?token={token}") as ws:
            await ws.send('{"op":"join","room":"k"}')
            assert json.loads(await asyncio.wait_for(ws.recv(), 5))["op"] == "joined"
        # The audience is checked; an HMAC token made with the public key is refused.
        other = openssl_token(alg, key, {"sub": alg, "aud": "else"})
        assert (await upgrade_status(gw, f"/?token={other}"))[0] == 401
        confused = hs256({"sub": "x", "aud": "games"}, secret=open(KEYS[alg][1]).read())
        assert (await upgrade_status(gw, f"/?token={confused}"))[0] == 401
        # Many reconnects with one token: verified once per shard, from the cache after.
        for _ in range(50):
            async with websockets.connect(f"ws://127.0.0.1:{gw.ws}/?token={token}") as ws:
                await ws.send('{"op":"ping","id":1}')
                await asyncio.wait_for(ws.recv(), 5)
        print(f"  {alg} with a key made by openssl; audience and key confusion refused")
    return case


AUTH = ["--auth", "required", "--jwt-secret-file", SECRET_FILE]
CASES = {
    "websocket": (AUTH + ["--handshake-timeout", "1"], case_websocket, {"shards": 2}, {}),
    "acl": (AUTH, case_acl, {"shards": 2}, {}),
    "expiry": (AUTH + ["--token-grace", "1"], case_expiry, {"shards": 2}, {}),
    "stream": (AUTH, case_stream, {"shards": 2}, {}),
    "socketio": (AUTH, case_socketio, {"shards": 2}, {}),
    "rs256": (["--auth", "required", "--jwt-public-key-file", KEYS["RS256"][1],
               "--jwt-audience", "games"], public_key_case("RS256"), {"shards": 2}, {}),
    "eddsa": (["--auth", "required", "--jwt-public-key-file", KEYS["EdDSA"][1],
               "--jwt-audience", "games"], public_key_case("EdDSA"), {"shards": 2}, {}),
}


if __name__ == "__main__":
    run_cases(CASES, DEADLINE)
