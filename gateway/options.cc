#include "gateway/options.h"

#include <CLI/CLI.hpp>

#include "gateway/version.h"

namespace rg::gateway {

namespace {
bool is_power_of_two(uint64_t v) {
  return v != 0 && (v & (v - 1)) == 0;
}
}  // namespace

ParsedOptions parse_options(int argc, const char* const* argv) {
  Options o;
  CLI::App app{
      "ringgate: a message gateway for real-time games and trading front ends.\n"
      "Clients speak raw TCP (4-byte little-endian length + payload frames), UDP datagrams\n"
      "or WebSocket. Byte sizes accept suffixes: 64KiB, 1MiB, ...",
      "ringgate"};
  app.set_version_flag("--version", std::string("ringgate ") + kVersion);
  app.get_formatter()->column_width(34);

  app.add_option("--bind", o.bind, "Address to listen on (IPv4, IPv6 or a host name)")
      ->capture_default_str();
  app.add_option("--tcp-port", o.tcp_port, "Raw TCP port (0: the kernel picks)")
      ->capture_default_str();
  app.add_option("--udp-port", o.udp_port, "UDP port (0: the kernel picks)")->capture_default_str();
  app.add_option("--ws-port", o.ws_port, "WebSocket port (0: the kernel picks)")
      ->capture_default_str();
  app.add_option("--admin-port", o.admin_port, "Admin/metrics HTTP port (0: the kernel picks)")
      ->capture_default_str();
  app.add_option("--shards", o.shards, "Shards, one thread each (0: one per available CPU)")
      ->check(CLI::Range(0u, 1024u))
      ->capture_default_str();
  app.add_option("--max-frame", o.max_frame, "Largest raw TCP frame payload")
      ->transform(CLI::AsSizeValue(false))
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 30))
      ->capture_default_str();
  app.add_option("--max-message", o.max_message, "Largest WebSocket message (larger: close 1009)")
      ->transform(CLI::AsSizeValue(false))
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 30))
      ->capture_default_str();
  app.add_option("--ping-interval", o.ping_interval_s,
                 "Seconds of silence after which a WebSocket peer is pinged (0: never)")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  app.add_option("--handshake-timeout", o.handshake_timeout_s,
                 "Seconds a WebSocket client has to complete its upgrade request")
      ->check(CLI::Range(0.001, 3600.0))
      ->capture_default_str();
  app.add_option("--max-connections", o.max_connections,
                 "Open TCP connections at most, over all shards (more are closed at once)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 24))
      ->capture_default_str();
  app.add_option("--max-outbuf", o.max_outbuf,
                 "Bytes queued for one connection above which reading from it pauses")
      ->transform(CLI::AsSizeValue(false))
      ->check(CLI::Range(uint64_t{1} << 12, uint64_t{1} << 32))
      ->capture_default_str();
  app.add_option("--max-datagram", o.max_datagram, "Largest UDP payload (larger are dropped)")
      ->transform(CLI::AsSizeValue(false))
      ->check(CLI::Range(uint64_t{1}, uint64_t{65507}))
      ->capture_default_str();
  app.add_option("--idle-timeout", o.idle_timeout_s,
                 "Seconds without traffic before a connection is closed (0: never)")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  app.add_option("--rx-buffers", o.rx_buffers,
                 "Receive buffers per shard, shared by all its connections (power of two)")
      ->check(CLI::Range(uint32_t{16}, uint32_t{32768}))
      ->capture_default_str();
  app.add_option("--rx-buffer-size", o.rx_buffer_size, "Size of one receive buffer")
      ->transform(CLI::AsSizeValue(false))
      ->check(CLI::Range(uint64_t{1024}, uint64_t{1} << 20))
      ->capture_default_str();

  ParsedOptions parsed;
  try {
    app.parse(argc, argv);
    if (!is_power_of_two(o.rx_buffers)) {
      throw CLI::ValidationError("--rx-buffers",
                                 "must be a power of two, got " + std::to_string(o.rx_buffers));
    }
  } catch (const CLI::CallForHelp&) {
    parsed.message = app.help();
    return parsed;
  } catch (const CLI::CallForVersion&) {
    parsed.message = std::string("ringgate ") + kVersion + "\n";
    return parsed;
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    for (char& c : what) {
      if (c == '\n') c = ' ';
    }
    parsed.exit_code = 2;
    parsed.message = "ringgate: " + what + " (see --help)\n";
    return parsed;
  }
  parsed.options = o;
  return parsed;
}

}  // namespace rg::gateway
