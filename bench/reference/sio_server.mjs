// The room events of ringgate's Socket.IO endpoint as a small app on Node's socket.io 4.8,
// for bench/compare --scenario sio-fanout: join(room[, opts], ack) -> {room, seq};
// publish(room, event, data[, opts], ack) -> {seq}, every other member of the room gets
// `event` with data and an offset "<room>:<seq>" as its last argument (the shape
// ringgate gives, so the same load generator checks both). Per-room sequence numbers are
// the app's, as ringgate's are the gateway's.
// usage: node sio_server.mjs PORT [uws]   (prints "listening ws=127.0.0.1:PORT" once ready)
// With `uws`, socket.io is attached to uWebSockets.js (npm @trufflesuite/uws-js-unofficial,
// io.attachApp); exits 3 if that does not load here.
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const port = Number(process.argv[2] || 0);
const onUws = process.argv[3] === 'uws';
const io = new Server({ transports: ['websocket', 'polling'], perMessageDeflate: false });
const seqs = new Map();
io.on('connection', (socket) => {
  socket.on('join', (room, ...rest) => {
    const ack = typeof rest[rest.length - 1] === 'function' ? rest.pop() : null;
    socket.join(room);
    if (ack) ack({ room, seq: seqs.get(room) || 0 });
  });
  socket.on('publish', (room, event, data, ...rest) => {
    const ack = typeof rest[rest.length - 1] === 'function' ? rest.pop() : null;
    const seq = (seqs.get(room) || 0) + 1;
    seqs.set(room, seq);
    socket.to(room).emit(event, data, `${room}:${seq}`);
    if (ack) ack({ seq });
  });
});

if (onUws) {
  let uWS;
  try {
    uWS = (await import('@trufflesuite/uws-js-unofficial')).default;
  } catch (e) {
    console.error(`uWebSockets.js does not load here: ${e.message}`);
    process.exit(3);
  }
  const app = uWS.App();
  io.attachApp(app);
  app.listen('127.0.0.1', port, (token) => {
    if (!token) {
      console.error('uWebSockets.js could not listen');
      process.exit(1);
    }
    console.log(`listening ws=127.0.0.1:${uWS.us_socket_local_port(token)}`);
  });
} else {
  const http = createServer();
  io.attach(http);
  http.listen(port, '127.0.0.1', () => {
    console.log(`listening ws=127.0.0.1:${http.address().port}`);
  });
}
