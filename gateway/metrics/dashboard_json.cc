#include "gateway/metrics/dashboard_json.h"

#include <chrono>
#include <cstdio>

namespace rg::gateway {

namespace {

void field(std::string& out, const char* name, uint64_t value) {
  out += ",\"";
  out += name;
  out += "\":";
  out += std::to_string(value);
}

void field(std::string& out, const char* name, double value) {
  char text[40];
  std::snprintf(text, sizeof text, "%.6f", value);
  out += ",\"";
  out += name;
  out += "\":";
  out += text;
}

}  // namespace

std::string dashboard_json(const MetricsSnapshot& s, const ProcessFigures& process,
                           const char* version) {
  using std::chrono::duration;
  double now = duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::string out = "{\"version\":\"";
  out += version;  // (digits and dots)
  out += '"';
  field(out, "time", now);
  field(
      out, "uptime_s",
      static_cast<uint64_t>(process.start_time_seconds > 0 ? now - process.start_time_seconds : 0));
  out += ",\"connections\":{";
  for (size_t p = 0; p < core::kProtocols; ++p) {
    auto protocol = static_cast<core::Protocol>(p);
    if (p > 0) out += ',';
    out += '"';
    out += transport_label(protocol);
    out += "\":" + std::to_string(s.active(protocol));
  }
  out += '}';
  uint64_t in = 0, out_messages = 0;
  for (size_t p = 0; p < core::kProtocols; ++p) {
    in += s.messages_in[p];
    out_messages += s.messages_out[p];
  }
  field(out, "messages_in", in);
  field(out, "messages_out", out_messages);
  field(out, "received_bytes", s.rx_bytes);
  field(out, "sent_bytes", s.tx_bytes);
  field(out, "publishes", s.publishes);
  field(out, "deliveries", s.deliveries);
  field(out, "rooms_active", s.rooms_active);
  field(out, "members_active", s.members_active);
  field(out, "slow_consumers", s.slow_closed + s.slow_skipped + s.conflated);
  out += ",\"rate_limited\":{\"messages\":" + std::to_string(s.rate_limited_messages) +
         ",\"bytes\":" + std::to_string(s.rate_limited_bytes) +
         ",\"conns_per_ip\":" + std::to_string(s.refused_conns_per_ip) +
         ",\"conn_rate_per_ip\":" + std::to_string(s.refused_conn_rate_per_ip) + '}';
  out += ",\"auth_failures\":{\"missing\":" + std::to_string(s.auth_missing) +
         ",\"invalid\":" + std::to_string(s.auth_invalid) +
         ",\"expired\":" + std::to_string(s.auth_expired) +
         ",\"forbidden\":" + std::to_string(s.auth_forbidden) + '}';
  char text[120];
  std::snprintf(text, sizeof text, ",\"latency\":{\"p50\":%.9f,\"p99\":%.9f,\"p999\":%.9f}",
                s.latency_quantile(0.5), s.latency_quantile(0.99), s.latency_quantile(0.999));
  out += text;
  field(out, "resident_bytes", process.resident_bytes);
  field(out, "cpu_seconds", process.cpu_seconds);
  out += ",\"shards\":[";
  for (size_t i = 0; i < s.shards.size(); ++i) {
    const ShardFigures& f = s.shards[i];
    if (i > 0) out += ',';
    out += "{\"connections\":" + std::to_string(f.connections);
    field(out, "messages_in", f.messages_in);
    field(out, "messages_out", f.messages_out);
    field(out, "busy_seconds", static_cast<double>(f.busy_ns) / 1e9);
    out += '}';
  }
  out += "]}";
  return out;
}

}  // namespace rg::gateway
