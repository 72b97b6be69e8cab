// Reference: Node's `ws` package (with its native bufferutil and utf-8-validate add-ons, as
// a tuned deployment has them): an echo server on /echo, and broadcast rooms on
// /raw/<room> (a loop over the room's other clients, as its README's broadcast example).
// usage: node ws_echo_server.mjs [PORT]   (0 or none: the kernel picks)
import { WebSocketServer, WebSocket } from 'ws';

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: Number(process.argv[2] ?? 0),
  maxPayload: 16 << 20,
  perMessageDeflate: false,
  clientTracking: false,
  verifyClient: ({ req }) => req.url === '/echo' || req.url.startsWith('/raw/'),
});
const rooms = new Map(); // room name -> Set of clients
wss.on('connection', (ws, req) => {
  if (req.url === '/echo') {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    return;
  }
  const name = req.url.slice(5);
  let room = rooms.get(name);
  if (!room) rooms.set(name, (room = new Set()));
  room.add(ws);
  ws.on('message', (data, isBinary) => {
    for (const client of room) {
      if (client !== ws && client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
    }
  });
  ws.on('close', () => {
    room.delete(ws);
    if (room.size === 0) rooms.delete(name);
  });
});
wss.on('listening', () => console.log(`ws-reference listening ws=127.0.0.1:${wss.address().port}`));
