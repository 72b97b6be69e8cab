#include "core/shard_stats.h"

#include <cinttypes>
#include <cstdio>

namespace rg::core {

std::string ShardStats::to_string() const {
  char text[640];
  std::snprintf(text, sizeof text,
                "accepted=%" PRIu64 " rejected=%" PRIu64 " connected=%" PRIu64
                " connect_failed=%" PRIu64 " closed=%" PRIu64 " rx_bytes=%" PRIu64
                " tx_bytes=%" PRIu64 " sends=%" PRIu64 " messages_in=%" PRIu64
                " messages_out=%" PRIu64 " protocol_errors=%" PRIu64 " idle_timeouts=%" PRIu64
                " recv_paused=%" PRIu64 " rx_no_buffers=%" PRIu64 " udp_rx=%" PRIu64
                " udp_tx=%" PRIu64 " udp_dropped=%" PRIu64 " close_resets=%" PRIu64
                " refused=%" PRIu64 " adopted=%" PRIu64,
                accepted, rejected, connected, connect_failed, closed, rx_bytes, tx_bytes, sends,
                messages_in, messages_out, protocol_errors, idle_timeouts, recv_paused,
                rx_no_buffers, udp_rx, udp_tx, udp_dropped, close_resets, refused, adopted);
  return text;
}

}  // namespace rg::core
