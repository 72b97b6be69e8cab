#include "gateway/metrics/metrics_text.h"

#include <cstdio>
#include <string>

#include "gateway/metrics/prometheus_text.h"

namespace rg::gateway {

namespace {

using Type = PrometheusText::Type;
constexpr core::Protocol kProtocolList[] = {core::Protocol::kWebSocket, core::Protocol::kTcp,
                                            core::Protocol::kUdp, core::Protocol::kSocketIo};

// One family with a sample per transport.
template <class Value>
void per_transport(PrometheusText& out, std::string_view name, Type type, std::string_view help,
                   Value value) {
  out.family(name, type, help);
  for (core::Protocol p : kProtocolList) {
    out.sample(PrometheusText::label("transport", transport_label(p)), value(p));
  }
}

void single(PrometheusText& out, std::string_view name, Type type, std::string_view help,
            uint64_t value) {
  out.family(name, type, help);
  out.sample({}, value);
}

}  // namespace

std::string metrics_text(const MetricsSnapshot& s, const ProcessFigures& process,
                         std::string_view version) {
  PrometheusText out;
  out.family("ringgate_build_info", Type::kGauge, "The running ringgate's version (always 1).");
  out.sample(PrometheusText::label("version", version), uint64_t{1});
  single(out, "ringgate_shards", Type::kGauge, "Shards (one pinned thread and io_uring each).",
         s.shards.size());

  auto index = [](core::Protocol p) { return static_cast<size_t>(p); };
  per_transport(out, "ringgate_connections_active", Type::kGauge,
                "Open connections (udp: peers that joined; sio: Engine.IO sessions).",
                [&](core::Protocol p) { return s.active(p); });
  per_transport(out, "ringgate_connections_accepted_total", Type::kCounter,
                "Connections accepted (udp: peers that joined; sio: Engine.IO sessions).",
                [&](core::Protocol p) { return s.opened[index(p)]; });
  per_transport(out, "ringgate_messages_received_total", Type::kCounter,
                "Messages received from clients (frames, envelopes, datagrams, packets).",
                [&](core::Protocol p) { return s.messages_in[index(p)]; });
  per_transport(out, "ringgate_messages_sent_total", Type::kCounter,
                "Messages queued to clients (replies and room messages).",
                [&](core::Protocol p) { return s.messages_out[index(p)]; });
  single(out, "ringgate_received_bytes_total", Type::kCounter,
         "Bytes received on every connection (the admin listener's included).", s.rx_bytes);
  single(out, "ringgate_sent_bytes_total", Type::kCounter,
         "Bytes sent on every connection (the admin listener's included).", s.tx_bytes);

  single(out, "ringgate_rooms_active", Type::kGauge, "Rooms with at least one member.",
         s.rooms_active);
  single(out, "ringgate_room_members_active", Type::kGauge,
         "Memberships: each member counted once per room it is in.", s.members_active);
  single(out, "ringgate_publishes_total", Type::kCounter, "Publishes accepted.", s.publishes);
  single(out, "ringgate_deliveries_total", Type::kCounter,
         "Room messages queued to members (one per member and message).", s.deliveries);

  out.family("ringgate_publish_to_queued_seconds", Type::kHistogram,
             "From a publish's arrival to its frames queued to a shard's members (one "
             "observation per message and shard; loop wake-up resolution).");
  uint64_t cumulative = 0;
  const auto& bounds = core::LatencyHistogram::kBoundsSeconds;
  for (size_t i = 0; i < bounds.size(); ++i) {
    cumulative += s.latency[i];
    char le[32];
    std::snprintf(le, sizeof le, "%g", bounds[i]);
    out.sample(PrometheusText::label("le", le), cumulative, "_bucket");
  }
  cumulative += s.latency[bounds.size()];
  out.sample(PrometheusText::label("le", "+Inf"), cumulative, "_bucket");
  out.sample({}, static_cast<double>(s.latency_sum_ns) / 1e9, "_sum");
  out.sample({}, cumulative, "_count");

  out.family("ringgate_slow_consumers_total", Type::kCounter,
             "Members that could not keep up: closed (--slow-consumer=close, or a full "
             "conflation queue), messages skipped for them (drop) or replaced by newer ones of "
             "their conflation key (conflate).");
  out.sample(PrometheusText::label("action", "close"), s.slow_closed);
  out.sample(PrometheusText::label("action", "drop"), s.slow_skipped);
  out.sample(PrometheusText::label("action", "conflate"), s.conflated);
  out.family("ringgate_rate_limited_total", Type::kCounter,
             "Requests or connections refused by a rate limit.");
  out.sample(PrometheusText::label("limit", "messages"), s.rate_limited_messages);
  out.sample(PrometheusText::label("limit", "bytes"), s.rate_limited_bytes);
  out.sample(PrometheusText::label("limit", "conns_per_ip"), s.refused_conns_per_ip);
  out.sample(PrometheusText::label("limit", "conn_rate_per_ip"), s.refused_conn_rate_per_ip);
  out.family("ringgate_rate_limited_disconnects_total", Type::kCounter,
             "Connections cut off for going on past their rate limits for --rate-limit-grace.");
  out.sample({}, s.rate_cut_off);
  out.family("ringgate_auth_failures_total", Type::kCounter,
             "Connections or requests refused for their token.");
  out.sample(PrometheusText::label("reason", "missing"), s.auth_missing);
  out.sample(PrometheusText::label("reason", "invalid"), s.auth_invalid);
  out.sample(PrometheusText::label("reason", "expired"), s.auth_expired);
  out.sample(PrometheusText::label("reason", "forbidden"), s.auth_forbidden);
  out.family("ringgate_resumes_total", Type::kCounter,
             "Resumes of rooms and recoveries of Socket.IO sockets, by outcome.");
  out.sample(PrometheusText::label("recovered", "true"), s.resumes_recovered);
  out.sample(PrometheusText::label("recovered", "false"), s.resumes_unrecovered);
  single(out, "ringgate_protocol_errors_total", Type::kCounter,
         "Clients cut off for breaking their protocol.", s.protocol_errors);
  single(out, "ringgate_refused_connections_total", Type::kCounter,
         "Connections refused: over --max-connections or out of descriptors.", s.refused);
  single(out, "ringgate_idle_timeouts_total", Type::kCounter, "Connections closed for silence.",
         s.idle_timeouts);

  out.family("ringgate_shard_busy_seconds_total", Type::kCounter,
             "Time each shard's loop spent working (not waiting in io_uring_enter).");
  for (size_t i = 0; i < s.shards.size(); ++i) {
    out.sample(PrometheusText::label("shard", std::to_string(i)),
               static_cast<double>(s.shards[i].busy_ns) / 1e9);
  }
  out.family("ringgate_shard_connections", Type::kGauge, "Open connections on each shard.");
  for (size_t i = 0; i < s.shards.size(); ++i) {
    out.sample(PrometheusText::label("shard", std::to_string(i)), s.shards[i].connections);
  }

  out.family("process_cpu_seconds_total", Type::kCounter, "User and system CPU time spent.");
  out.sample({}, process.cpu_seconds);
  single(out, "process_resident_memory_bytes", Type::kGauge, "Resident memory size.",
         process.resident_bytes);
  single(out, "process_virtual_memory_bytes", Type::kGauge, "Virtual memory size.",
         process.virtual_bytes);
  single(out, "process_open_fds", Type::kGauge, "Open file descriptors.", process.open_fds);
  single(out, "process_max_fds", Type::kGauge, "The limit on open file descriptors.",
         process.max_fds);
  out.family("process_start_time_seconds", Type::kGauge,
             "When the process started, in seconds since the Unix epoch.");
  out.sample({}, process.start_time_seconds);
  single(out, "process_threads", Type::kGauge, "Threads of the process.", process.threads);
  return out.text();
}

}  // namespace rg::gateway
