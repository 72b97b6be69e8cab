#pragma once
// Every figure of the gateway at one moment, summed over the shards while they run: the
// shards' single-writer counters (core/counter.h) are read from the scraping thread, so a
// scrape costs the data path nothing. /metrics, the dashboard and /api/info print it.

#include <array>
#include <cstdint>
#include <vector>

#include "core/latency_histogram.h"
#include "core/shard/shard_stats.h"

namespace rg::gateway {

class RoomHub;
struct SioStats;

// Where the figures are read (pointers into objects that outlive the admin listener).
struct MetricsSources {
  std::vector<const core::ShardStats*> shards;
  std::vector<const RoomHub*> hubs;
  std::vector<const SioStats*> sio;
};

struct ShardFigures {
  uint64_t busy_ns = 0;
  uint64_t connections = 0;  // every transport
  uint64_t messages_in = 0;
  uint64_t messages_out = 0;
};

struct MetricsSnapshot {
  std::array<uint64_t, core::kProtocols> opened{}, closed{}, messages_in{}, messages_out{};
  uint64_t rx_bytes = 0, tx_bytes = 0;
  uint64_t rooms_active = 0, members_active = 0;
  uint64_t publishes = 0, deliveries = 0;
  uint64_t slow_closed = 0, slow_skipped = 0, conflated = 0;
  uint64_t rate_limited_messages = 0, rate_limited_bytes = 0, rate_cut_off = 0;
  uint64_t refused_conns_per_ip = 0, refused_conn_rate_per_ip = 0;
  uint64_t auth_missing = 0, auth_invalid = 0, auth_expired = 0, auth_forbidden = 0;
  uint64_t resumes_recovered = 0, resumes_unrecovered = 0;
  uint64_t protocol_errors = 0, refused = 0, idle_timeouts = 0;
  std::array<uint64_t, core::LatencyHistogram::kBuckets> latency{};  // not cumulative
  uint64_t latency_sum_ns = 0;
  std::vector<ShardFigures> shards;

  uint64_t active(core::Protocol p) const noexcept {
    auto i = static_cast<size_t>(p);
    return opened[i] >= closed[i] ? opened[i] - closed[i] : 0;
  }
  uint64_t latency_count() const noexcept;
  // The q-quantile (0..1) of the latency histogram, in seconds, interpolated within its
  // bucket (as Prometheus' histogram_quantile does); 0 without observations.
  double latency_quantile(double q) const noexcept;
};

MetricsSnapshot take_snapshot(const MetricsSources& sources);

// The label value of each protocol: ws, tcp, udp, sio.
const char* transport_label(core::Protocol p) noexcept;

}  // namespace rg::gateway
