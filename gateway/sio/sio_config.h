#pragma once
// Engine.IO and Socket.IO settings (the --sio-* flags), with Socket.IO's defaults.

#include <cstddef>
#include <cstdint>
#include <string>

namespace rg::gateway {

struct SioConfig {
  uint64_t ping_interval_ms = 25000;
  uint64_t ping_timeout_ms = 20000;
  size_t max_payload = 1000000;         // bytes of a polling body or a WebSocket message
  uint64_t connect_timeout_ms = 45000;  // for the Socket.IO CONNECT after the handshake
  uint64_t recovery_ms = 120000;        // connection state recovery (0: off)
  uint64_t upgrade_timeout_ms = 10000;  // for the "5" after a WebSocket probe
  // Access-Control-Allow-Origin of /socket.io/ responses (empty: no CORS headers). "*"
  // allows any origin; anything else is the one origin allowed, with credentials.
  std::string cors_origin;
  size_t max_outbuf = 4 << 20;   // bytes waiting for a session (as --max-outbuf)
  size_t max_sessions = 100000;  // per shard
};

}  // namespace rg::gateway
