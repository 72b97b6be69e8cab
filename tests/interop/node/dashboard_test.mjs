// The admin listener's dashboard in headless Chromium (Debian's, driven by playwright-core)
// against the real binary on 2 shards: the page loads with no console error and no
// request leaving the gateway, and its figures, charts and busiest rooms move while a load
// runs (WebSocket members and a publisher from Node's `ws`). A screenshot is kept.
// usage: node dashboard_test.mjs RINGGATE_BINARY SCREENSHOT.png
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';
import { WebSocket } from 'ws';

const [binary, screenshot] = process.argv.slice(2);
const fail = (why) => { console.error(`dashboard: ${why}`); process.exit(1); };
setTimeout(() => fail('timed out'), 90000).unref();

const gateway = spawn(binary, ['--bind', '127.0.0.1', '--tcp-port', '0', '--udp-port', '0', '--ws-port', '0',
  '--admin-port', '0', '--shards', '2'], { stdio: ['ignore', 'pipe', 'ignore'] });
const ports = await new Promise((resolve) => createInterface({ input: gateway.stdout }).once('line', (line) => {
  const ws = /ws=\S+:(\d+)/.exec(line);
  const admin = /admin=\S+:(\d+)/.exec(line);
  if (!ws || !admin) fail(`no start-up line: ${line}`);
  resolve({ ws: Number(ws[1]), admin: Number(admin[1]) });
}));
const origin = `http://127.0.0.1:${ports.admin}`;

const open = () => new Promise((resolve, reject) => {
  const ws = new WebSocket(`ws://127.0.0.1:${ports.ws}/`);
  ws.once('open', () => resolve(ws));
  ws.once('error', reject);
});
const joined = (ws, room) => new Promise((resolve) => {
  ws.once('message', resolve);
  ws.send(JSON.stringify({ op: 'join', room }));
});

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let members = [];
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1300 } });
  const errors = [];
  const foreign = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => { if (!r.url().startsWith(origin)) foreign.push(r.url()); });
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.url()} -> ${r.status()}`); });
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => document.getElementById('status').textContent === 'live', null, { timeout: 10000 });
  const charts = await page.locator('.chart canvas').count();
  if (charts < 8) fail(`${charts} charts drawn`);

  // Load: 20 members in one room, one publisher, for about 4 seconds.
  members = await Promise.all(Array.from({ length: 20 }, open));
  await Promise.all(members.map((m) => joined(m, 'dash-room')));
  const publisher = await open();
  const stop = Date.now() + 4000;
  let sent = 0;
  while (Date.now() < stop) {
    for (let i = 0; i < 50; i++) publisher.send(JSON.stringify({ op: 'pub', room: 'dash-room', data: { i: sent++ } }));
    await new Promise((r) => setTimeout(r, 20));
  }
  await page.waitForFunction(() => {
    const cells = [...document.querySelectorAll('#rooms tbody td')].map((td) => td.textContent);
    return cells.includes('dash-room');
  }, null, { timeout: 10000 });
  const figures = await page.evaluate(() => ({
    connections: document.getElementById('f-connections').textContent,
    deliveries: document.getElementById('f-deliveries').textContent,
    in: document.getElementById('f-in').textContent,
    members: document.getElementById('f-members').textContent,
  }));
  const number = (t) => { const m = /^([\d.]+)(k|M|G)?$/.exec(t); return m ? Number(m[1]) * ({ k: 1e3, M: 1e6, G: 1e9 }[m[2]] || 1) : NaN; };
  if (number(figures.connections) < 21) fail(`connections ${JSON.stringify(figures)}`);
  if (!(number(figures.deliveries) > 0) || !(number(figures.in) > 0)) fail(`rates did not move: ${JSON.stringify(figures)}`);
  if (number(figures.members) !== 20) fail(`members ${JSON.stringify(figures)}`);
  await page.screenshot({ path: screenshot, fullPage: true });
  if (errors.length) fail(`console errors: ${errors.join(' | ')}`);
  if (foreign.length) fail(`requests left the gateway: ${foreign.join(' ')}`);
  console.log(`dashboard: ok (${sent} publishes; ${JSON.stringify(figures)}; screenshot ${screenshot})`);
  publisher.close();
} finally {
  for (const m of members) m.terminate();
  await browser.close();
  gateway.kill('SIGTERM');
}
const code = await new Promise((resolve) => gateway.on('exit', resolve));
if (code !== 0) fail(`gateway exit ${code}`);
