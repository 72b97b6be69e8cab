#include "core/shard/shard_stats.h"

#include <cinttypes>
#include <cstdio>

namespace rg::core {

uint64_t ShardStats::messages_in() const noexcept {
  uint64_t n = 0;
  for (const ProtocolStats& p : protocols) n += p.messages_in;
  return n;
}

uint64_t ShardStats::messages_out() const noexcept {
  uint64_t n = 0;
  for (const ProtocolStats& p : protocols) n += p.messages_out;
  return n;
}

std::string ShardStats::to_string() const {
  char text[700];
  std::snprintf(text, sizeof text,
                "accepted=%" PRIu64 " rejected=%" PRIu64 " connected=%" PRIu64
                " connect_failed=%" PRIu64 " closed=%" PRIu64 " rx_bytes=%" PRIu64
                " tx_bytes=%" PRIu64 " sends=%" PRIu64 " messages_in=%" PRIu64
                " messages_out=%" PRIu64 " protocol_errors=%" PRIu64 " idle_timeouts=%" PRIu64
                " recv_paused=%" PRIu64 " rx_no_buffers=%" PRIu64 " udp_rx=%" PRIu64
                " udp_tx=%" PRIu64 " udp_dropped=%" PRIu64 " close_resets=%" PRIu64
                " refused=%" PRIu64 " adopted=%" PRIu64 " busy_ms=%" PRIu64,
                accepted.get(), rejected.get(), connected.get(), connect_failed.get(), closed.get(),
                rx_bytes.get(), tx_bytes.get(), sends.get(), messages_in(), messages_out(),
                protocol_errors.get(), idle_timeouts.get(), recv_paused.get(), rx_no_buffers.get(),
                udp_rx.get(), udp_tx.get(), udp_dropped.get(), close_resets.get(), refused.get(),
                adopted.get(), busy_ns.get() / 1000000);
  return text;
}

}  // namespace rg::core
