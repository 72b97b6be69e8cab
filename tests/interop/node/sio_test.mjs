// Interop: the official socket.io-client (and Node's `ws` as a native member) against the
// real binary on 4 shards.
// usage: node sio_test.mjs RINGGATE_BINARY CASE
// Cases: polling, websocket, upgrade, binary, mixed, events. Each starts its own gateway,
// is bounded in time, and exits 0 only if everything it checks holds; the gateway must
// then stop cleanly with no protocol error counted.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { io } from 'socket.io-client';
import { WebSocket } from 'ws';

const [binary, name] = process.argv.slice(2);
const fail = (why) => { console.error(`sio interop ${name}: ${why}`); process.exit(1); };
setTimeout(() => fail('timed out'), 60000).unref();
const check = (ok, why) => { if (!ok) fail(why); };

function startGateway(extra = []) {
  const child = spawn(binary, ['--bind', '127.0.0.1', '--tcp-port', '0', '--udp-port', '0', '--admin-port', '0',
    '--ws-port', '0', '--shards', '4', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  return new Promise((resolve) => {
    createInterface({ input: child.stdout }).once('line', (line) => {
      const m = /ws=\S+:(\d+)/.exec(line);
      if (!m) fail(`no start-up line: ${line}`);
      resolve({
        port: Number(m[1]),
        stop: () => new Promise((done) => {
          child.on('exit', (code) => {
            const totals = {};
            for (const l of err.split('\n')) {
              if (!l.startsWith('ringgate shard=')) continue;
              for (const [, k, v] of l.matchAll(/(\w+)=(\d+)/g)) totals[k] = (totals[k] || 0) + Number(v);
            }
            done({ code, totals, err });
          });
          child.kill('SIGTERM');
        }),
      });
    });
  });
}

const url = (gw) => `http://127.0.0.1:${gw.port}`;
const connect = (gw, transports) => new Promise((resolve) => {
  const s = io(url(gw), { transports, forceNew: true, reconnection: false });
  s.on('connect_error', (e) => fail(`connect_error ${e.message}`));
  s.once('connect', () => resolve(s));
});
const call = (s, ...args) => new Promise((resolve) => s.emit(...args, resolve));

// Publisher and receiver over `transports`: 300 publishes, each received exactly once and
// in order, acks with increasing seqs, joins answered {room, seq, epoch}.
async function roundTrip(gw, transports, room) {
  const rx = await connect(gw, transports);
  const tx = await connect(gw, transports);
  const joined = await call(rx, 'join', room);
  check(joined.room === room && Number.isInteger(joined.seq) && /^[0-9a-f]{16}$/.test(joined.epoch),
    `join ack ${JSON.stringify(joined)}`);
  const total = 300;
  const seen = [];
  const done = new Promise((resolve) => rx.on('tick', (data, offset) => {
    check(typeof offset === 'string', `no offset: ${offset}`);
    seen.push(data.n);
    if (seen.length === total) resolve();
  }));
  let last = 0;
  for (let n = 0; n < total; n++) {
    const ack = await call(tx, 'publish', room, 'tick', { n });
    check(ack.seq === last + 1 || last === 0, `ack ${JSON.stringify(ack)} after ${last}`);
    last = ack.seq;
  }
  await done;
  seen.forEach((n, i) => check(n === i, `message ${i} was ${n}`));
  return { rx, tx };
}

// A receiver whose transport is closed under it (socket.io.engine.close()) while messages
// are published, and that reconnects on its own: recovered, with every message once.
async function recoverAfterDrop(gw, transports, room, { receiveFirst }) {
  const rx = io(url(gw), { transports, forceNew: true, reconnectionDelay: 50, reconnectionDelayMax: 100 });
  await new Promise((resolve) => rx.once('connect', resolve));
  await call(rx, 'join', room);
  const tx = await connect(gw, ['websocket']);
  const seen = [];
  rx.on('tick', (data) => seen.push(data.n));
  let n = 0;
  const publish = async (count) => { for (let i = 0; i < count; i++) await call(tx, 'publish', room, 'tick', { n: n++ }); };
  if (receiveFirst) {
    await publish(50);
    while (seen.length < 50) await new Promise((z) => setTimeout(z, 10));
  }
  const back = new Promise((resolve) => rx.once('connect', resolve));
  rx.io.engine.close();
  await publish(50);  // while it is away
  await back;
  check(rx.recovered === true, `not recovered (${transports}, receiveFirst=${receiveFirst})`);
  await publish(50);
  for (let i = 0; i < 500 && seen.length < n; i++) await new Promise((z) => setTimeout(z, 10));
  check(seen.length === n, `${seen.length} of ${n} received (${transports})`);
  seen.forEach((v, i) => check(v === i, `message ${i} was ${v} (${transports})`));
  rx.close(); tx.close();
}

const flags = { unrecovered: ['--history', '10'] };

const cases = {
  async unrecovered(gw) {
    // --history 10: 50 messages missed cannot be replayed whole: a fresh socket, no rooms,
    // nothing replayed (never a partial replay).
    // The reconnect waits 1.5 s: the 50 publishes below are done by then, even in a slow
    // (sanitized) build, or a history of 10 would cover what it missed.
    const rx = io(url(gw), { transports: ['websocket'], forceNew: true, reconnectionDelay: 1500,
                             reconnectionDelayMax: 1500, randomizationFactor: 0 });
    await new Promise((resolve) => rx.once('connect', resolve));
    const firstId = rx.id;
    await call(rx, 'join', 'short');
    const tx = await connect(gw, ['websocket']);
    const seen = [];
    rx.on('tick', (data) => seen.push(data.n));
    await call(tx, 'publish', 'short', 'tick', { n: 0 });
    while (seen.length < 1) await new Promise((z) => setTimeout(z, 10));
    const back = new Promise((resolve) => rx.once('connect', resolve));
    rx.io.engine.close();
    for (let n = 1; n <= 50; n++) await call(tx, 'publish', 'short', 'tick', { n });
    await back;
    check(rx.recovered === false, 'recovered with a history too short');
    check(rx.id !== firstId, 'the same socket id without a recovery');
    await call(tx, 'publish', 'short', 'tick', { n: 51 });
    await new Promise((z) => setTimeout(z, 200));
    check(seen.length === 1, `replayed or still in the room: ${seen}`);
    rx.close(); tx.close();
    return (totals) => check(totals.sio_unrecovered === 1, `counters ${JSON.stringify(totals)}`);
  },
  async recovery(gw) {
    await recoverAfterDrop(gw, ['polling'], 'rec-poll', { receiveFirst: true });
    await recoverAfterDrop(gw, ['websocket'], 'rec-ws', { receiveFirst: true });
    // A client that had received nothing yet (its CONNECT carries the pid alone).
    await recoverAfterDrop(gw, ['websocket'], 'rec-none', { receiveFirst: false });
    await recoverAfterDrop(gw, ['polling'], 'rec-none-poll', { receiveFirst: false });
    return (totals) => check(totals.sio_recovered >= 4 && totals.sio_unrecovered === 0,
      `recoveries ${JSON.stringify(totals)}`);
  },
  async polling(gw) {
    const { rx, tx } = await roundTrip(gw, ['polling'], 'poll-room');
    check(rx.io.engine.transport.name === 'polling', 'not polling');
    rx.close(); tx.close();
    return (totals) => check(totals.sio_handed_off > 0, `no request was handed to its session's shard: ${JSON.stringify(totals)}`);
  },
  async websocket(gw) {
    const { rx, tx } = await roundTrip(gw, ['websocket'], 'ws-room');
    check(rx.io.engine.transport.name === 'websocket', 'not websocket');
    rx.close(); tx.close();
  },
  async upgrade(gw) {
    const rx = io(url(gw), { forceNew: true, reconnection: false });
    const upgraded = new Promise((resolve) => rx.io.on('open', () => {
      check(rx.io.engine.transport.name === 'polling', 'did not start on polling');
      rx.io.engine.once('upgrade', resolve);
    }));
    await new Promise((resolve) => rx.once('connect', resolve));
    await upgraded;
    check(rx.io.engine.transport.name === 'websocket', 'not upgraded');
    const { rx: r2, tx } = await roundTrip(gw, ['polling', 'websocket'], 'up-room');
    rx.close(); r2.close(); tx.close();
    return (totals) => check(totals.sio_upgrades >= 1, `no upgrade counted: ${JSON.stringify(totals)}`);
  },
  async binary(gw) {
    for (const transports of [['polling'], ['websocket']]) {
      const rx = await connect(gw, transports);
      const tx = await connect(gw, transports);
      await call(rx, 'join', 'bin');
      const native = new WebSocket(`ws://127.0.0.1:${gw.port}/`);
      await new Promise((resolve) => native.once('open', resolve));
      native.send(JSON.stringify({ op: 'join', room: 'bin', id: 1 }));
      await new Promise((resolve) => native.once('message', resolve));
      const bytes = Buffer.from([0, 1, 2, 250, 255]);
      const got = new Promise((resolve) => rx.once('blob', (data) => resolve(data)));
      const nativeGot = new Promise((resolve) => native.once('message', (m) => resolve(JSON.parse(m))));
      const ack = await call(tx, 'publish', 'bin', 'blob', bytes);
      check(Number.isInteger(ack.seq), `binary publish ack ${JSON.stringify(ack)}`);
      const data = await got;
      check(Buffer.isBuffer(data) && data.equals(bytes), `binary arrived as ${data}`);
      const m = await nativeGot;
      check(m.bin === true && Buffer.from(m.data, 'base64').equals(bytes) && m.event === 'blob',
        `native member got ${JSON.stringify(m)}`);
      rx.close(); tx.close(); native.close();
    }
  },
  async mixed(gw) {
    const s = await connect(gw, ['websocket']);
    await call(s, 'join', 'mixed');
    const native = new WebSocket(`ws://127.0.0.1:${gw.port}/`);
    await new Promise((resolve) => native.once('open', resolve));
    const replies = [];
    native.on('message', (m) => replies.push(JSON.parse(m)));
    native.send(JSON.stringify({ op: 'join', room: 'mixed', id: 1 }));
    const waitFor = async (pred) => { for (let i = 0; i < 500; i++) { const r = replies.find(pred); if (r) return r; await new Promise((z) => setTimeout(z, 10)); } fail('native reply missing'); };
    await waitFor((r) => r.op === 'joined');
    // A binary-envelope member too (WebSocket binary frames).
    const binary = new WebSocket(`ws://127.0.0.1:${gw.port}/`);
    await new Promise((resolve) => binary.once('open', resolve));
    const frames = [];
    binary.on('message', (m) => frames.push(Buffer.from(m)));
    binary.send(Buffer.concat([Buffer.from([0x01, 0, 0, 5]), Buffer.from('mixed')]));
    for (let i = 0; i < 500 && !frames.some((f) => f[0] === 0x81); i++) await new Promise((z) => setTimeout(z, 10));
    // Socket.IO -> native: the event and data.
    await call(s, 'publish', 'mixed', 'ev', { x: 1 });
    const msg = await waitFor((r) => r.op === 'msg');
    check(msg.event === 'ev' && msg.data.x === 1 && msg.room === 'mixed', `native got ${JSON.stringify(msg)}`);
    for (let i = 0; i < 500 && !frames.some((f) => f[0] === 0x83); i++) await new Promise((z) => setTimeout(z, 10));
    const b = frames.find((f) => f[0] === 0x83);
    check(b && (b[1] & 0x08) && (b[1] & 0x02), `binary member flags ${b && b[1]}`);
    const roomEnd = 4 + b[3];
    const eventLength = b[roomEnd + 8];
    const event = b.subarray(roomEnd + 9, roomEnd + 9 + eventLength).toString();
    const data = b.subarray(roomEnd + 9 + eventLength).toString();
    check(event === 'ev' && data === '{"x":1}', `binary member got ${event} ${data}`);
    binary.close();
    // native -> Socket.IO: "event" names it; without one it is "message".
    const named = new Promise((resolve) => s.once('quote', (d) => resolve(d)));
    native.send(JSON.stringify({ op: 'pub', room: 'mixed', event: 'quote', data: { p: 2 } }));
    check((await named).p === 2, 'named event');
    const plain = new Promise((resolve) => s.once('message', (d) => resolve(d)));
    native.send(JSON.stringify({ op: 'pub', room: 'mixed', data: 'hello' }));
    check((await plain) === 'hello', 'plain message');
    s.close(); native.close();
  },
  async events(gw) {
    const s = await connect(gw, ['websocket']);
    const unknown = await call(s, "no-such-event", "x");
    check(unknown.error && unknown.error.code === 'unknown_event', `unknown ${JSON.stringify(unknown)}`);
    const bad = await call(s, 'join', 'bad room!');
    check(bad.error && bad.error.code === 'bad_request', `bad room ${JSON.stringify(bad)}`);
    await call(s, 'join', 'p', { presence: true, info: { name: 'ann' } });
    const other = await connect(gw, ['polling']);
    const notice = new Promise((resolve) => s.once('presence', (d) => resolve(d)));
    await call(other, 'join', 'p', { info: { name: 'bob' } });
    const n = await notice;
    check(n.event === 'join' && n.room === 'p' && n.info.name === 'bob', `notice ${JSON.stringify(n)}`);
    const who = await call(s, 'presence', 'p');
    check(who.count === 2 && who.members.length === 2, `presence ${JSON.stringify(who)}`);
    const left = await call(other, 'leave', 'p');
    check(left.room === 'p', `leave ${JSON.stringify(left)}`);
    const dup1 = await call(s, 'publish', 'p', 'e', 1, { key: 'k1' });
    const dup2 = await call(s, 'publish', 'p', 'e', 1, { key: 'k1' });
    check(dup2.duplicate === true && dup2.seq === dup1.seq, `keyed ${JSON.stringify([dup1, dup2])}`);
    // Another namespace is refused.
    const admin = io(`${url(gw)}/admin`, { forceNew: true, reconnection: false, transports: ['websocket'] });
    const error = await new Promise((resolve) => admin.once('connect_error', resolve));
    check(error.message === 'Invalid namespace', `namespace ${error.message}`);
    admin.close(); s.close(); other.close();
  },
};

const run = cases[name];
if (!run) fail('no such case');
const gw = await startGateway(flags[name] || []);
const after = await run(gw);
await new Promise((resolve) => setTimeout(resolve, 100));
const { code, totals, err } = await gw.stop();
check(code === 0, `gateway exit ${code}: ${err}`);
check(totals.protocol_errors === 0, `protocol errors: ${JSON.stringify(totals)}`);
check(totals.seq_jumps === 0, 'seq jumps');
if (after) after(totals);
console.log(`sio interop ${name}: ok`);
process.exit(0);
