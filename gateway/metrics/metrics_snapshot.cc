#include "gateway/metrics/metrics_snapshot.h"

#include "gateway/rooms/room_hub.h"
#include "gateway/sio/sio_service.h"

namespace rg::gateway {

const char* transport_label(core::Protocol p) noexcept {
  switch (p) {
    case core::Protocol::kWebSocket:
      return "ws";
    case core::Protocol::kTcp:
      return "tcp";
    case core::Protocol::kUdp:
      return "udp";
    case core::Protocol::kSocketIo:
      return "sio";
  }
  return "?";
}

MetricsSnapshot take_snapshot(const MetricsSources& sources) {
  MetricsSnapshot s;
  for (const core::ShardStats* shard : sources.shards) {
    ShardFigures figures;
    figures.busy_ns = shard->busy_ns;
    for (size_t p = 0; p < core::kProtocols; ++p) {
      const core::ProtocolStats& counts = shard->protocols[p];
      // Closed first: a connection counted closed since is never missing from `opened`.
      uint64_t closed = counts.closed;
      uint64_t opened = counts.opened;
      s.opened[p] += opened;
      s.closed[p] += closed;
      s.messages_in[p] += counts.messages_in;
      s.messages_out[p] += counts.messages_out;
      figures.connections += opened >= closed ? opened - closed : 0;
      figures.messages_in += counts.messages_in;
      figures.messages_out += counts.messages_out;
    }
    s.rx_bytes += shard->rx_bytes;
    s.tx_bytes += shard->tx_bytes;
    s.protocol_errors += shard->protocol_errors;
    s.refused += shard->refused;
    s.idle_timeouts += shard->idle_timeouts;
    s.refused_conns_per_ip += shard->refused_conns_per_ip;
    s.refused_conn_rate_per_ip += shard->refused_conn_rate_per_ip;
    s.shards.push_back(figures);
  }
  for (const RoomHub* hub : sources.hubs) {
    const RoomStats& rooms = hub->stats();
    s.rooms_active += hub->owned().active();
    s.members_active += rooms.members_active;
    s.publishes += rooms.published;
    s.deliveries += rooms.delivered;
    s.slow_closed += rooms.slow_closed;
    s.slow_skipped += rooms.slow_skipped;
    s.conflated += rooms.conflated;
    s.rate_limited_messages += rooms.rate_limited_messages;
    s.rate_limited_bytes += rooms.rate_limited_bytes;
    s.rate_cut_off += rooms.rate_cut_off;
    s.auth_missing += rooms.auth_missing;
    s.auth_invalid += rooms.auth_invalid;
    s.auth_expired += rooms.auth_expired;
    s.auth_forbidden += rooms.auth_forbidden;
    s.resumes_recovered += rooms.recovered;
    s.resumes_unrecovered += rooms.unrecovered;
    for (size_t i = 0; i < s.latency.size(); ++i) s.latency[i] += rooms.publish_to_queued.bucket(i);
    s.latency_sum_ns += rooms.publish_to_queued.sum_ns();
  }
  for (const SioStats* sio : sources.sio) {
    s.resumes_recovered += sio->recovered;
    s.resumes_unrecovered += sio->unrecovered;
  }
  return s;
}

uint64_t MetricsSnapshot::latency_count() const noexcept {
  uint64_t n = 0;
  for (uint64_t c : latency) n += c;
  return n;
}

double MetricsSnapshot::latency_quantile(double q) const noexcept {
  uint64_t total = latency_count();
  if (total == 0) return 0;
  const auto& bounds = core::LatencyHistogram::kBoundsSeconds;
  double rank = q * static_cast<double>(total);
  uint64_t below = 0;
  for (size_t i = 0; i < latency.size(); ++i) {
    if (static_cast<double>(below + latency[i]) >= rank && latency[i] > 0) {
      if (i == bounds.size()) return bounds.back();  // above the last bound: its bound
      double low = i == 0 ? 0 : bounds[i - 1];
      double within = (rank - static_cast<double>(below)) / static_cast<double>(latency[i]);
      return low + (bounds[i] - low) * within;
    }
    below += latency[i];
  }
  return bounds.back();
}

}  // namespace rg::gateway
