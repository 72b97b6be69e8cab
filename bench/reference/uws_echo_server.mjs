// Reference: an echo server on uWebSockets.js (npm @trufflesuite/uws-js-unofficial), on
// /echo. Exits 3 if the package does not load on this machine.
// usage: node uws_echo_server.mjs [PORT]
let uWS;
try {
  uWS = (await import('@trufflesuite/uws-js-unofficial')).default;
} catch (e) {
  console.error(`uWebSockets.js does not load here: ${e.message}`);
  process.exit(3);
}
uWS.App()
  .ws('/echo', {
    compression: uWS.DISABLED,
    maxPayloadLength: 16 << 20,
    idleTimeout: 0,
    maxBackpressure: 64 << 20,
    message: (ws, message, isBinary) => ws.send(message, isBinary),
  })
  .listen('127.0.0.1', Number(process.argv[2] ?? 0), (token) => {
    if (!token) {
      console.error('uWebSockets.js could not listen');
      process.exit(1);
    }
    console.log(`uws-reference listening ws=127.0.0.1:${uWS.us_socket_local_port(token)}`);
  });
