// Interop: Node's `ws` package as the client of ringgate's /echo.
// usage: node ws_echo_client.mjs ws://127.0.0.1:PORT/echo
// Exits 0 when text and binary messages from 0 B to 16 MiB come back byte for byte, a ping
// is answered with its payload, and a close handshake ends with code 1000.
import { WebSocket } from 'ws';
import { randomBytes } from 'node:crypto';

const url = process.argv[2];
const sizes = [0, 1, 125, 126, 127, 65535, 65536, 1 << 20, 16 << 20];
const fail = (why) => { console.error(`ws interop: ${why}`); process.exit(1); };
setTimeout(() => fail('timed out'), 60000).unref();

const ws = new WebSocket(url, { maxPayload: 32 << 20 });
const next = () => new Promise((resolve) => ws.once('message', (data, isBinary) => resolve({ data, isBinary })));
ws.on('error', (e) => fail(e.message));
ws.on('open', async () => {
  for (const size of sizes) {
    const text = 'κ'.repeat(Math.floor(size / 2)) + (size % 2 ? 'x' : '');
    ws.send(text);
    const t = await next();
    if (t.isBinary || t.data.toString('utf8') !== text) fail(`text of ${size} bytes differs`);
    const bin = randomBytes(size);
    ws.send(bin);
    const b = await next();
    if (!b.isBinary || !Buffer.from(b.data).equals(bin)) fail(`binary of ${size} bytes differs`);
  }
  const pong = new Promise((resolve) => ws.once('pong', resolve));
  ws.ping(Buffer.from('are you there'));
  const payload = await pong;
  if (payload.toString() !== 'are you there') fail('pong payload differs');
  ws.close(1000, 'done');
});
ws.on('close', (code) => {
  if (code !== 1000) fail(`closed with ${code}`);
  console.log(`ws interop: ${sizes.length * 2} messages, ping, close 1000: ok`);
  process.exit(0);
});
