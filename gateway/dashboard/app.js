// ringgate's dashboard: polls /dashboard.json once a second and /dashboard/rooms.json
// every two, keeps the last five minutes, and draws them with uPlot. Everything comes
// from the admin listener itself: no request leaves the gateway.
(() => {
  'use strict';
  const keep = 300;  // points: five minutes at one a second
  const transports = ['ws', 'tcp', 'udp', 'sio'];
  const series = { t: [] };
  let last = null;
  const $ = (id) => document.getElementById(id);
  const fmt = (n, digits = 0) => (n >= 1e9 ? (n / 1e9).toFixed(2) + 'G' : n >= 1e6 ? (n / 1e6).toFixed(2) + 'M'
    : n >= 1e4 ? (n / 1e3).toFixed(1) + 'k' : n.toFixed(digits));
  const bytes = (n) => (n >= 1 << 30 ? (n / (1 << 30)).toFixed(2) + ' GiB' : n >= 1 << 20 ? (n / (1 << 20)).toFixed(1) + ' MiB'
    : (n / 1024).toFixed(0) + ' KiB');
  const ms = (s) => (s * 1000 < 1 ? (s * 1e6).toFixed(0) + ' µs' : (s * 1000).toFixed(2) + ' ms');
  const colors = ['#3366cc', '#dc3912', '#ff9900', '#109618', '#990099', '#0099c6', '#dd4477', '#66aa00'];

  const charts = [];
  function chart(title, names, fmtValue) {
    for (const n of names) series[n] = series[n] || [];
    const div = document.createElement('div');
    div.className = 'chart';
    $('charts').appendChild(div);
    const opts = {
      title, width: Math.max(300, div.clientWidth - 10), height: 200,
      series: [{}, ...names.map((n, i) => ({ label: n.split(':')[1] || n, stroke: colors[i % colors.length], width: 1.5,
        value: (u, v) => (v == null ? '–' : fmtValue(v)) }))],
      axes: [{}, { values: (u, vals) => vals.map(fmtValue), size: 70 }],
      scales: { x: { time: true } },
    };
    const plot = new uPlot(opts, [[], ...names.map(() => [])], div);
    charts.push({ plot, names });
  }

  chart('Connections by transport', transports.map((t) => 'conn:' + t), (v) => fmt(v));
  chart('Messages per second', ['rate:in', 'rate:out'], (v) => fmt(v));
  chart('Bytes per second', ['rate:received', 'rate:sent'], (v) => bytes(v) + '/s');
  chart('Publishes and deliveries per second', ['rate:publishes', 'rate:deliveries'], (v) => fmt(v));
  chart('Publish → queued latency', ['lat:p50', 'lat:p99', 'lat:p999'], (v) => ms(v));
  chart('Rooms and members', ['gauge:rooms', 'gauge:members'], (v) => fmt(v));
  chart('Slow consumers, rate limits, auth failures per second',
    ['rate:slow', 'rate:limited', 'rate:auth'], (v) => fmt(v, 1));
  chart('Resident memory', ['gauge:rss'], (v) => bytes(v));
  let shardChart = null;
  window.addEventListener('resize', () => {
    for (const c of charts) c.plot.setSize({ width: Math.max(300, c.plot.root.parentNode.clientWidth - 10), height: 200 });
  });

  function push(name, value) {
    const s = series[name] || (series[name] = []);
    s.push(value);
    if (s.length > keep) s.shift();
  }

  function update(d) {
    const t = d.time;
    const dt = last ? Math.max(0.001, t - last.time) : 1;
    const rate = (now, before) => (last ? Math.max(0, (now - before) / dt) : null);
    series.t.push(t);
    if (series.t.length > keep) series.t.shift();
    let total = 0;
    for (const tr of transports) { push('conn:' + tr, d.connections[tr]); total += d.connections[tr]; }
    const sum = (o) => Object.values(o).reduce((a, b) => a + b, 0);
    const rin = rate(d.messages_in, last && last.messages_in);
    const rout = rate(d.messages_out, last && last.messages_out);
    push('rate:in', rin);
    push('rate:out', rout);
    push('rate:received', rate(d.received_bytes, last && last.received_bytes));
    push('rate:sent', rate(d.sent_bytes, last && last.sent_bytes));
    push('rate:publishes', rate(d.publishes, last && last.publishes));
    const rdel = rate(d.deliveries, last && last.deliveries);
    push('rate:deliveries', rdel);
    push('lat:p50', d.latency.p50);
    push('lat:p99', d.latency.p99);
    push('lat:p999', d.latency.p999);
    push('gauge:rooms', d.rooms_active);
    push('gauge:members', d.members_active);
    push('rate:slow', rate(d.slow_consumers, last && last.slow_consumers));
    push('rate:limited', rate(sum(d.rate_limited), last && sum(last.rate_limited)));
    push('rate:auth', rate(sum(d.auth_failures), last && sum(last.auth_failures)));
    push('gauge:rss', d.resident_bytes);
    d.shards.forEach((s, i) => {
      const before = last && last.shards[i];
      push('load:shard ' + i, before ? Math.min(1, (s.busy_seconds - before.busy_seconds) / dt) : null);
    });
    if (!shardChart) {
      chart('Shard load (share of the time busy)', d.shards.map((s, i) => 'load:shard ' + i), (v) => (v * 100).toFixed(0) + '%');
      shardChart = true;
    }
    for (const c of charts) c.plot.setData([series.t, ...c.names.map((n) => series[n])]);

    $('version').textContent = 'v' + d.version;
    $('uptime').textContent = 'up ' + Math.floor(d.uptime_s / 3600) + 'h ' + Math.floor((d.uptime_s % 3600) / 60) + 'm';
    $('shards').textContent = d.shards.length + ' shards';
    $('f-connections').textContent = fmt(total);
    $('f-in').textContent = rin == null ? '–' : fmt(rin);
    $('f-out').textContent = rout == null ? '–' : fmt(rout);
    $('f-deliveries').textContent = rdel == null ? '–' : fmt(rdel);
    $('f-rooms').textContent = fmt(d.rooms_active);
    $('f-members').textContent = fmt(d.members_active);
    $('f-p99').textContent = ms(d.latency.p99);
    $('f-rss').textContent = bytes(d.resident_bytes);
    const rows = d.shards.map((s, i) => {
      const b = last && last.shards[i];
      const load = b ? Math.min(1, (s.busy_seconds - b.busy_seconds) / dt) : 0;
      return `<tr><td>${i}</td><td>${s.connections}</td><td>${(load * 100).toFixed(0)}%</td>`
        + `<td>${b ? fmt((s.messages_in - b.messages_in) / dt) : '–'}</td>`
        + `<td>${b ? fmt((s.messages_out - b.messages_out) / dt) : '–'}</td></tr>`;
    });
    $('shard-table').tBodies[0].innerHTML = rows.join('');
    last = d;
  }

  const text = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  async function poll() {
    try {
      const r = await fetch('/dashboard.json', { cache: 'no-store' });
      update(await r.json());
      $('status').textContent = 'live';
      $('status').className = 'status ok';
    } catch (e) {
      $('status').textContent = 'no answer from the gateway';
      $('status').className = 'status bad';
    }
  }
  async function pollRooms() {
    try {
      const r = await fetch('/dashboard/rooms.json', { cache: 'no-store' });
      const rooms = (await r.json()).result.rooms;
      $('rooms').tBodies[0].innerHTML = rooms.map((x) => `<tr><td>${text(x.room)}</td><td>${x.members}</td>`
        + `<td>${x.publishes_per_s}</td><td>${x.seq}</td></tr>`).join('');
    } catch (e) { /* the next poll tells */ }
  }
  poll();
  pollRooms();
  setInterval(poll, 1000);
  setInterval(pollRooms, 2000);
})();
