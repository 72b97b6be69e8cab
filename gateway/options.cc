#include "gateway/options.h"

#include <CLI/CLI.hpp>

#include "gateway/version.h"

namespace rg::gateway {

namespace {
bool is_power_of_two(uint64_t v) {
  return v != 0 && (v & (v - 1)) == 0;
}

// A file option that may be left empty (off), as --print-config writes it.
const CLI::Validator kEmptyOrExistingFile(
    [](std::string& path) { return path.empty() ? std::string() : CLI::ExistingFile(path); },
    "FILE");
}  // namespace

ParsedOptions parse_options(int argc, const char* const* argv) {
  Options o;
  CLI::App app{
      "ringgate: a message gateway for real-time games and trading front ends.\n"
      "Clients join rooms and publish over WebSocket (JSON or binary frames on path /), raw\n"
      "TCP (4-byte little-endian length + binary envelope) or UDP (one envelope per\n"
      "datagram); see docs/PROTOCOL.md. Byte sizes accept suffixes: 64KiB, 1MiB, ...",
      "ringgate"};
  app.set_version_flag("--version", std::string("ringgate ") + kVersion);
  app.get_formatter()->column_width(34);

  app.add_option("--bind", o.bind, "Address to listen on (IPv4, IPv6 or a host name)")
      ->capture_default_str();
  app.add_option("--tcp-port", o.tcp_port, "Raw TCP gateway port (0: the kernel picks)")
      ->capture_default_str();
  app.add_option("--udp-port", o.udp_port, "UDP gateway port (0: the kernel picks)")
      ->capture_default_str();
  app.add_option("--tcp-echo-port", o.tcp_echo_port,
                 "Raw TCP echo port for load tests (-1: off, 0: the kernel picks)")
      ->check(CLI::Range(-1, 65535))
      ->capture_default_str();
  app.add_option("--udp-echo-port", o.udp_echo_port,
                 "UDP echo port for load tests (-1: off, 0: the kernel picks)")
      ->check(CLI::Range(-1, 65535))
      ->capture_default_str();
  app.add_option("--ws-port", o.ws_port, "WebSocket port (0: the kernel picks)")
      ->capture_default_str();
  app.add_option("--admin-port", o.admin_port,
                 "Admin HTTP port: /livez, /readyz, /metrics, /api/ (0: the kernel picks)")
      ->capture_default_str();
  app.add_option("--admin-bind", o.admin_bind,
                 "Address of the admin listener (keep it off the public network)")
      ->capture_default_str();
  app.add_option("--shards", o.shards, "Shards, one thread each (0: one per available CPU)")
      ->check(CLI::Range(0u, 1024u))
      ->capture_default_str();
  app.add_option("--max-frame", o.max_frame,
                 "Largest raw TCP frame payload (the gateway port takes at most --max-payload "
                 "plus 4 KiB of envelope)")
      ->transform(CLI::AsSizeValue(false))
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 30))
      ->capture_default_str();
  app.add_option("--max-message", o.max_message,
                 "Largest WebSocket message on /echo (larger: close 1009); on / the limit is "
                 "--max-payload plus 4 KiB of envelope")
      ->transform(CLI::AsSizeValue(false))
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 30))
      ->capture_default_str();
  app.add_option("--assembly-budget", o.assembly_budget,
                 "Bytes all connections together may hold in messages they have not finished "
                 "(split between shards); past it, the largest is cut off (WebSocket 1009)")
      ->transform(CLI::AsSizeValue(false))
      ->check(CLI::Range(uint64_t{1} << 16, uint64_t{1} << 40))
      ->capture_default_str();
  app.add_option("--message-timeout", o.message_timeout_s,
                 "Seconds a message may take from its first byte to its last (0: no limit); "
                 "slower: cut off (WebSocket 1008)")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  app.add_option("--ping-interval", o.ping_interval_s,
                 "Seconds of silence after which a WebSocket peer is pinged (0: never)")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  app.add_option("--handshake-timeout", o.handshake_timeout_s,
                 "Seconds an HTTP request on the WebSocket port (a WebSocket upgrade, a "
                 "long-polling request) has to arrive whole (else 408)")
      ->check(CLI::Range(0.001, 3600.0))
      ->capture_default_str();
  app.add_option("--http-idle-timeout", o.http_idle_timeout_s,
                 "Seconds a kept-alive HTTP connection may wait for its next request")
      ->check(CLI::Range(0.001, 3600.0))
      ->capture_default_str();
  app.add_option("--sio-ping-interval", o.sio_ping_interval_ms,
                 "Milliseconds between Engine.IO pings to a Socket.IO client")
      ->check(CLI::Range(uint64_t{10}, uint64_t{3600000}))
      ->capture_default_str();
  app.add_option("--sio-ping-timeout", o.sio_ping_timeout_ms,
                 "Milliseconds a Socket.IO client has to answer a ping before its session ends")
      ->check(CLI::Range(uint64_t{10}, uint64_t{3600000}))
      ->capture_default_str();
  app.add_option("--sio-max-payload", o.sio_max_payload,
                 "Bytes of an Engine.IO polling body or WebSocket message at most")
      ->check(CLI::Range(uint64_t{1024}, uint64_t{1} << 28))
      ->capture_default_str();
  app.add_option("--sio-connect-timeout", o.sio_connect_timeout_ms,
                 "Milliseconds a new Engine.IO session has to send its Socket.IO CONNECT")
      ->check(CLI::Range(uint64_t{10}, uint64_t{3600000}))
      ->capture_default_str();
  app.add_option("--sio-recovery", o.sio_recovery_ms,
                 "Milliseconds a dropped Socket.IO session can be recovered (0: no offsets, "
                 "no recovery)")
      ->check(CLI::Range(uint64_t{0}, uint64_t{86400000}))
      ->capture_default_str();
  app.add_option("--sio-upgrade-timeout", o.sio_upgrade_timeout_ms,
                 "Milliseconds a WebSocket probe has to complete the upgrade (\"5\") before it "
                 "is closed and the session stays on polling")
      ->check(CLI::Range(uint64_t{10}, uint64_t{3600000}))
      ->capture_default_str();
  app.add_option("--sio-cors-origin", o.sio_cors_origin,
                 "Origin allowed to reach /socket.io/ from a browser (\"*\": any; empty: no "
                 "CORS headers)");
  app.add_option("--http-max-body", o.http_max_body,
                 "Bytes of an HTTP request body at most (else 413)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 30))
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
  app.add_option("--drain-timeout", o.drain_timeout_s,
                 "Seconds a SIGTERM or SIGINT may take: /readyz turns 503, listeners close, "
                 "connections are closed in batches (WebSocket 1012), then the process exits 0 "
                 "(under 1.6: everything at once)")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  app.add_option("--close-linger", o.close_linger_s,
                 "Seconds a closing connection may take to read its last bytes (a close frame "
                 "after a slow consumer's backlog) before it is reset")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  app.add_option("--sndbuf", o.sndbuf,
                 "Kernel send buffer per TCP connection (SO_SNDBUF; the kernel doubles it; 0: "
                 "autotuned up to ~4 MiB): what a peer that stops reading costs in kernel memory")
      ->transform(CLI::AsSizeValue(false))
      ->check(CLI::Range(uint64_t{0}, uint64_t{64} << 20))
      ->capture_default_str();
  app.add_option("--rx-buffers", o.rx_buffers,
                 "Receive buffers per shard, shared by all its connections (power of two)")
      ->check(CLI::Range(uint32_t{16}, uint32_t{32768}))
      ->capture_default_str();
  app.add_option("--write-delay", o.write_delay_ms,
                 "Milliseconds a connection's output may wait for more to send with it: each "
                 "send carries more messages, for less CPU per message under load (0: send "
                 "at once; output after a quiet spell always leaves at once)")
      ->check(CLI::Range(0.0, 1000.0))
      ->capture_default_str();
  app.add_option("--registered-files", o.registered_files,
                 "Enter each connection's socket in its shard's io_uring file table, so the "
                 "kernel skips a descriptor lookup per receive and send (on: where the kernel "
                 "has it; off: name descriptors)")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
  app.add_option("--rx-buffer-size", o.rx_buffer_size, "Size of one receive buffer")
      ->transform(CLI::AsSizeValue(false))
      ->check(CLI::Range(uint64_t{1024}, uint64_t{1} << 20))
      ->capture_default_str();
  app.add_option("--history", o.history, "Messages kept per room (for replay after a reconnect)")
      ->check(CLI::Range(uint64_t{0}, uint64_t{1} << 20))
      ->capture_default_str();
  app.add_option("--history-bytes", o.history_bytes, "Bytes of history kept per room at most")
      ->transform(CLI::AsSizeValue(false))
      ->check(CLI::Range(uint64_t{0}, uint64_t{1} << 32))
      ->capture_default_str();
  app.add_option("--history-total", o.history_total,
                 "Bytes of history kept over all rooms; past it, the rooms published to least "
                 "recently lose their oldest messages first")
      ->transform(CLI::AsSizeValue(false))
      ->check(CLI::Range(uint64_t{0}, uint64_t{1} << 40))
      ->capture_default_str();
  app.add_option("--max-rooms-per-conn", o.max_rooms_per_conn,
                 "Rooms one connection (or UDP member) may be in")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 16))
      ->capture_default_str();
  app.add_option("--max-payload", o.max_payload, "Largest published data")
      ->transform(CLI::AsSizeValue(false))
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 30))
      ->capture_default_str();
  app.add_option("--slow-consumer", o.slow_consumer,
                 "A member whose output queue is full: close (WebSocket 1008), drop (skip "
                 "messages, then tell it the gap) or conflate (its messages wait, and of those "
                 "published with a \"ckey\" only the newest per room and key; it is told how "
                 "many were replaced)")
      ->check(CLI::IsMember({"close", "drop", "conflate"}))
      ->capture_default_str();
  app.add_option("--max-conflated-keys", o.max_conflated_keys,
                 "--slow-consumer=conflate: messages with a conflation key one member may have "
                 "waiting (distinct room and key pairs); past it the member is cut off like a "
                 "slow consumer. Messages without a key wait up to --max-outbuf bytes.")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 24))
      ->capture_default_str();
  app.add_option("--max-idle-rooms", o.max_idle_rooms,
                 "Rooms without members (with their history) remembered over the gateway (split "
                 "between shards), oldest forgotten first")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 26))
      ->capture_default_str();
  app.add_option("--idle-room-ttl", o.idle_room_ttl_s,
                 "Seconds after which a room with neither members nor publishes is forgotten, "
                 "with its history (0: never; --max-idle-rooms still bounds them)")
      ->check(CLI::Range(0.0, 86400.0 * 365))
      ->capture_default_str();
  app.add_option("--max-replay", o.max_replay,
                 "Most messages a resuming join is replayed; a longer resume is answered "
                 "\"recovered\":false, with nothing replayed")
      ->check(CLI::Range(uint64_t{0}, uint64_t{1} << 24))
      ->capture_default_str();
  app.add_option("--dedupe-keys", o.dedupe_keys,
                 "Publish keys remembered per room (a keyed publish seen again is acknowledged "
                 "as a duplicate, not published; 0: keys are ignored)")
      ->check(CLI::Range(uint64_t{0}, uint64_t{1} << 20))
      ->capture_default_str();
  app.add_option("--dedupe-window", o.dedupe_window_s, "Seconds a publish key is remembered")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  app.add_option("--max-presence-info", o.max_presence_info,
                 "Largest \"info\" object a join may carry for presence")
      ->transform(CLI::AsSizeValue(false))
      ->check(CLI::Range(uint64_t{0}, uint64_t{60} << 10))
      ->capture_default_str();
  app.add_option("--presence-limit", o.presence_limit,
                 "Members listed in a presence answer (its count is always exact)")
      ->check(CLI::Range(uint64_t{0}, uint64_t{65535}))
      ->capture_default_str();
  app.add_option("--session-ttl", o.session_ttl_s,
                 "Seconds a session's record (its rooms and where it was in each) waits for a "
                 "new connection to take it back (0: no sessions)")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  app.add_option("--max-sessions", o.max_sessions,
                 "Session records kept over the gateway (split between shards), oldest "
                 "forgotten first")
      ->check(CLI::Range(uint64_t{0}, uint64_t{1} << 24))
      ->capture_default_str();
  app.add_option("--api-key-file", o.api_key_file,
                 "File holding the server API's key (POST /api/... on the admin port with "
                 "X-API-Key); without it the API is off")
      ->check(kEmptyOrExistingFile);
  app.add_option("--rate-limit-msgs", o.rate_limit_msgs,
                 "Requests per second one connection may make, in bursts of as many (0: no "
                 "limit); past it a request is answered rate_limited and not executed")
      ->check(CLI::Range(uint64_t{0}, uint64_t{1} << 30))
      ->capture_default_str();
  app.add_option("--rate-limit-bytes", o.rate_limit_bytes,
                 "Request bytes per second one connection may send, in bursts of as many (0: no "
                 "limit)")
      ->transform(CLI::AsSizeValue(false))
      ->check(CLI::Range(uint64_t{0}, uint64_t{1} << 40))
      ->capture_default_str();
  app.add_option("--rate-limit-grace", o.rate_limit_grace_s,
                 "Seconds a connection may go on being refused by its rate limits (without a "
                 "quiet second) before it is closed (WebSocket 1008)")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  app.add_option("--log-format", o.log_format,
                 "The log on stderr: text, or json (one object per line: ts, level, event, "
                 "shard, msg); notable events only, at most 20 lines a second per shard")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app.add_option("--max-conns-per-ip", o.max_conns_per_ip,
                 "TCP connections (WebSocket, Socket.IO, raw TCP) one client address may have "
                 "open; past it upgrades get 429 and raw TCP is closed at once (0: no limit; "
                 "each shard holds its share, rounded up)")
      ->check(CLI::Range(0u, 1u << 24))
      ->capture_default_str();
  app.add_option("--conn-rate-per-ip", o.conn_rate_per_ip,
                 "New TCP connections per second one client address may open, in bursts of as "
                 "many (0: no limit; per shard, its share)")
      ->check(CLI::Range(0u, 1u << 24))
      ->capture_default_str();
  app.add_option("--auth", o.auth,
                 "required: every client needs a JWT (?token=, Authorization: Bearer, or an auth "
                 "request first; Socket.IO: CONNECT's auth {token}) and joins and publishes as "
                 "its rooms claim allows")
      ->check(CLI::IsMember({"off", "required"}))
      ->capture_default_str();
  app.add_option("--jwt-secret-file", o.jwt_secret_file,
                 "File holding the HMAC secret of HS256/HS384/HS512 tokens")
      ->check(kEmptyOrExistingFile);
  app.add_option("--jwt-public-key-file", o.jwt_public_key_file,
                 "PEM public key of RS256 (RSA), ES256 (P-256) or EdDSA (Ed25519) tokens")
      ->check(kEmptyOrExistingFile);
  app.add_option("--jwt-audience", o.jwt_audience, "Tokens must name this aud (empty: not checked)")
      ->capture_default_str();
  app.add_option("--jwt-issuer", o.jwt_issuer, "Tokens must name this iss (empty: not checked)")
      ->capture_default_str();
  app.add_option("--token-grace", o.token_grace_s,
                 "Seconds a connection whose token expired has to send a new one before it is "
                 "closed (WebSocket 4001)")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  app.add_option("--udp-idle-timeout", o.udp_idle_timeout_s,
                 "Seconds after which a silent UDP member leaves its rooms")
      ->check(CLI::Range(0.1, 86400.0))
      ->capture_default_str();

  // Every flag above is a key of the file (TOML, or INI): `--print-config` writes one.
  app.set_config("--config", "",
                 "Read options from this TOML file (keys as the flags, without dashes: "
                 "ws-port = 8080); flags on the command line win");
  bool print_config = false;
  app.add_flag("--print-config", print_config,
               "Print the configuration in effect, as a --config file, and exit")
      ->configurable(false);
  // A misspelt key is an error, not a setting silently left at its default.
  app.allow_config_extras(CLI::config_extras_mode::error);

  ParsedOptions parsed;
  try {
    app.parse(argc, argv);
    if (o.auth == "required" && o.jwt_secret_file.empty() && o.jwt_public_key_file.empty()) {
      throw CLI::ValidationError("--auth",
                                 "required needs --jwt-secret-file or --jwt-public-key-file");
    }
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
  if (print_config) {
    parsed.message = "# ringgate " + std::string(kVersion) + " configuration (--config FILE)\n" +
                     app.config_to_str(/*default_also=*/true, /*write_description=*/true);
    return parsed;
  }
  parsed.options = o;
  return parsed;
}

}  // namespace rg::gateway
