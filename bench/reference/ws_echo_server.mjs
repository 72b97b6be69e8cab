// Reference: an echo server on Node's `ws` package (with its native bufferutil and
// utf-8-validate add-ons, as a tuned deployment has them), on /echo.
// usage: node ws_echo_server.mjs [PORT]   (0 or none: the kernel picks)
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: Number(process.argv[2] ?? 0),
  path: '/echo',
  maxPayload: 16 << 20,
  perMessageDeflate: false,
  clientTracking: false,
});
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
wss.on('listening', () => console.log(`ws-reference listening ws=127.0.0.1:${wss.address().port}`));
