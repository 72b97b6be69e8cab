// Interop: socket.io-client's browser build in headless Chromium (Debian's, driven by
// playwright-core) against the real binary on 4 shards, over long-polling and WebSocket:
// two sockets join a room, one publishes, the other receives; the page logs no error.
// usage: node sio_browser_test.mjs RINGGATE_BINARY
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { chromium } from 'playwright-core';

const [binary] = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));
const fail = (why) => { console.error(`sio browser: ${why}`); process.exit(1); };
setTimeout(() => fail('timed out'), 90000).unref();

const gateway = spawn(binary, ['--bind', '127.0.0.1', '--tcp-port', '0', '--udp-port', '0', '--admin-port', '0',
  '--ws-port', '0', '--shards', '4', '--sio-cors-origin', '*'], { stdio: ['ignore', 'pipe', 'ignore'] });
const port = await new Promise((resolve) => createInterface({ input: gateway.stdout }).once('line', (line) => {
  const m = /ws=\S+:(\d+)/.exec(line);
  if (!m) fail(`no start-up line: ${line}`);
  resolve(Number(m[1]));
}));

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.request().method()} ${r.url()} -> ${r.status()}`); });
  await page.setContent('<!doctype html><title>ringgate socket.io</title><body></body>');
  await page.addScriptTag({ path: join(here, 'node_modules/socket.io-client/dist/socket.io.min.js') });
  for (const transports of [['polling'], ['websocket'], ['polling', 'websocket']]) {
    const result = await page.evaluate(async ({ port, transports }) => {
      const url = `http://127.0.0.1:${port}`;
      const open = () => new Promise((resolve, reject) => {
        const s = io(url, { transports, forceNew: true, reconnection: false });
        s.once('connect', () => resolve(s));
        s.once('connect_error', (e) => reject(new Error(e.message)));
      });
      const call = (s, ...args) => new Promise((resolve) => s.emit(...args, resolve));
      const rx = await open();
      const tx = await open();
      const joined = await call(rx, 'join', 'browser');
      const got = new Promise((resolve) => rx.once('hello', (data) => resolve(data)));
      const ack = await call(tx, 'publish', 'browser', 'hello', { from: navigator.userAgent.includes('Chrome') });
      const data = await got;
      const bytes = new Promise((resolve) => rx.once('bytes', (b) => resolve(Array.from(new Uint8Array(b)))));
      await call(tx, 'publish', 'browser', 'bytes', new Uint8Array([1, 2, 255]).buffer);
      const received = await bytes;
      const transport = rx.io.engine.transport.name;
      rx.close(); tx.close();
      return { joined, ack, data, received, transport };
    }, { port, transports });
    if (result.joined.room !== 'browser' || !Number.isInteger(result.ack.seq) || result.data.from !== true) {
      fail(`${transports}: ${JSON.stringify(result)}`);
    }
    if (JSON.stringify(result.received) !== '[1,2,255]') fail(`${transports}: binary ${result.received}`);
    console.log(`sio browser ${transports.join('+')}: ${result.transport} ok`);
  }
  if (errors.length) fail(`console errors: ${errors.join(' | ')}`);
} finally {
  await browser.close();
  gateway.kill('SIGTERM');
}
const code = await new Promise((resolve) => gateway.on('exit', resolve));
if (code !== 0) fail(`gateway exit ${code}`);
console.log('sio browser: ok');
