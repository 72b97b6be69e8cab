// Reference: uWebSockets.js (npm @trufflesuite/uws-js-unofficial): an echo server on /echo,
// and broadcast rooms on /raw/<room> the way its users write them (subscribe on open,
// publish on message: every other subscriber gets the frame). Exits 3 if the package
// does not load on this machine.
// usage: node uws_echo_server.mjs [PORT]
let uWS;
try {
  uWS = (await import('@trufflesuite/uws-js-unofficial')).default;
} catch (e) {
  console.error(`uWebSockets.js does not load here: ${e.message}`);
  process.exit(3);
}
const settings = {
  compression: uWS.DISABLED,
  maxPayloadLength: 16 << 20,
  idleTimeout: 0,
  maxBackpressure: 64 << 20,
};
uWS.App()
  .ws('/echo', {
    ...settings,
    message: (ws, message, isBinary) => ws.send(message, isBinary),
  })
  .ws('/raw/*', {
    ...settings,
    upgrade: (res, req, context) => {
      res.upgrade({ room: req.getUrl().slice(5) }, req.getHeader('sec-websocket-key'),
        req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
    },
    open: (ws) => ws.subscribe(ws.getUserData().room),
    message: (ws, message, isBinary) => ws.publish(ws.getUserData().room, message, isBinary),
  })
  .listen('127.0.0.1', Number(process.argv[2] ?? 0), (token) => {
    if (!token) {
      console.error('uWebSockets.js could not listen');
      process.exit(1);
    }
    console.log(`uws-reference listening ws=127.0.0.1:${uWS.us_socket_local_port(token)}`);
  });
