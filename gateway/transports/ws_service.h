#pragma once
// What a WebSocket session (ws_session.h) needs: its limits and its shard's services.
// Connections reach it through the HTTP front door (gateway/http/front_door.h). Paths:
//   /      the gateway protocol: JSON in text frames, the binary envelope in binary ones
//   /echo  every text or binary message goes back to its sender unchanged

#include <cstddef>
#include <cstdint>

#include "proto/http/http_request.h"

namespace rg::gateway {

class RoomHub;
class UnfinishedMessages;

struct WsConfig {
  RoomHub* hub = nullptr;                    // the shard's rooms (null: no gateway protocol on /)
  UnfinishedMessages* unfinished = nullptr;  // the shard's budget and deadline for them
  size_t max_message = 16 << 20;             // /echo
  size_t max_gateway_message = 68 << 10;     // /: --max-payload plus the envelope
  size_t max_engine_io_message = 1000000;    // /socket.io/: --sio-max-payload
  uint32_t ping_interval_ms = 30000;         // 0: never ping
  proto::HttpLimits http;
};

}  // namespace rg::gateway
