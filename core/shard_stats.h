#pragma once
// Counters of one shard. Written only by the shard's thread; read by others only after the
// shard has stopped (the metrics endpoint will publish snapshots through the bus).

#include <cstdint>
#include <string>

namespace rg::core {

struct ShardStats {
  uint64_t accepted = 0;
  uint64_t rejected = 0;        // over --max-connections
  uint64_t connected = 0;       // outbound connections established
  uint64_t connect_failed = 0;  // outbound connections that failed
  uint64_t closed = 0;
  uint64_t rx_bytes = 0;
  uint64_t tx_bytes = 0;
  uint64_t sends = 0;  // sendmsg operations: one per connection per tick at most
  uint64_t messages_in = 0;
  uint64_t messages_out = 0;
  uint64_t protocol_errors = 0;  // peers cut off for bad input
  uint64_t idle_timeouts = 0;
  uint64_t recv_paused = 0;    // back-pressure: reads paused on a full output queue
  uint64_t rx_no_buffers = 0;  // -ENOBUFS from the provided-buffer ring
  uint64_t udp_rx = 0;
  uint64_t udp_tx = 0;
  uint64_t udp_dropped = 0;   // truncated datagrams, or no send slot free
  uint64_t close_resets = 0;  // closed with a reset: cut off, or its last bytes untaken in time
  uint64_t refused = 0;       // over --max-connections or out of descriptors: told and closed
  uint64_t adopted = 0;       // connections handed over from another shard

  std::string to_string() const;
};

}  // namespace rg::core
