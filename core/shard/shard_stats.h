#pragma once
// Counters of one shard. Written only by the shard's thread; read by any (the metrics
// scrape sums every shard's while they run, see core/counter.h).

#include <array>
#include <cstdint>
#include <string>

#include "core/counter.h"

namespace rg::core {

// What a connection speaks, for the metrics' `transport` label.
enum class Protocol : uint8_t { kWebSocket, kTcp, kUdp, kSocketIo };
inline constexpr size_t kProtocols = 4;

struct ProtocolStats {
  Counter opened;  // connections (UDP: peers; Socket.IO: Engine.IO sessions) opened
  Counter closed;
  Counter messages_in;
  Counter messages_out;
};

struct ShardStats {
  Counter accepted;
  Counter rejected;        // over --max-connections
  Counter connected;       // outbound connections established
  Counter connect_failed;  // outbound connections that failed
  Counter closed;
  Counter rx_bytes;
  Counter tx_bytes;
  Counter sends;            // sendmsg operations: one per connection per tick at most
  Counter protocol_errors;  // peers cut off for bad input
  Counter idle_timeouts;
  Counter recv_paused;    // back-pressure: reads paused on a full output queue
  Counter rx_no_buffers;  // -ENOBUFS from the provided-buffer ring
  Counter udp_rx;
  Counter udp_tx;
  Counter udp_dropped;           // truncated datagrams, or no send slot free
  Counter close_resets;          // closed with a reset: cut off, or its last bytes untaken in time
  Counter refused;               // over --max-connections or out of descriptors: told and closed
  Counter adopted;               // connections handed over from another shard
  Counter refused_conns_per_ip;  // past --max-conns-per-ip (this shard's share)
  Counter refused_conn_rate_per_ip;  // past --conn-rate-per-ip (this shard's share)

  Counter busy_ns;  // time the loop spent awake (not in io_uring_enter waiting)
  std::array<ProtocolStats, kProtocols> protocols;

  ProtocolStats& of(Protocol p) noexcept { return protocols[static_cast<size_t>(p)]; }
  const ProtocolStats& of(Protocol p) const noexcept { return protocols[static_cast<size_t>(p)]; }
  uint64_t messages_in() const noexcept;
  uint64_t messages_out() const noexcept;
  std::string to_string() const;
};

}  // namespace rg::core
