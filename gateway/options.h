#pragma once
// The ringgate command line. Every flag is parsed here and only here.

#include <cstdint>
#include <optional>
#include <string>

namespace rg::gateway {

struct Options {
  std::string bind = "127.0.0.1";
  uint16_t tcp_port = 9000;
  uint16_t udp_port = 9001;
  uint16_t ws_port = 8080;               // the WebSocket listener arrives with the WebSocket server
  uint16_t admin_port = 8081;            // the admin listener (health, metrics, server API)
  std::string admin_bind = "127.0.0.1";  // never the public address by default
  unsigned shards = 0;                   // 0: one per CPU this process may run on
  uint64_t max_frame = 1 << 20;
  uint64_t max_message = 16 << 20;         // /echo; the gateway protocol's follows --max-payload
  uint64_t assembly_budget = 64ull << 20;  // bytes held in unfinished messages (all shards)
  double message_timeout_s = 30;           // a message's last byte after its first, at most
  double ping_interval_s = 30;
  double handshake_timeout_s = 10;
  double http_idle_timeout_s = 5;
  uint64_t http_max_body = 1 << 20;
  // Engine.IO / Socket.IO at /socket.io/ (Socket.IO's defaults).
  uint64_t sio_ping_interval_ms = 25000;
  uint64_t sio_ping_timeout_ms = 20000;
  uint64_t sio_max_payload = 1000000;
  uint64_t sio_connect_timeout_ms = 45000;
  uint64_t sio_recovery_ms = 120000;
  uint64_t sio_upgrade_timeout_ms = 10000;
  std::string sio_cors_origin;
  uint64_t max_connections = 100000;
  uint64_t max_outbuf = 4 << 20;
  uint64_t max_datagram = 2048;
  double idle_timeout_s = 60;
  double close_linger_s = 5;    // a closing connection's last bytes get this long to leave
  uint64_t sndbuf = 256 << 10;  // SO_SNDBUF per TCP connection (0: the kernel autotunes)
  uint32_t rx_buffers = 512;
  uint64_t rx_buffer_size = 16 << 10;
  double write_delay_ms = 0;            // output waits up to this long for more to send with it
  std::string registered_files = "on";  // on (where the kernel has them) | off
  // Rooms.
  uint64_t history = 1024;                // messages kept per room (for resumes)
  uint64_t history_bytes = 1 << 20;       // bytes of them kept per room
  uint64_t history_total = 128ull << 20;  // bytes of history over all rooms (all shards)
  uint64_t max_rooms_per_conn = 64;
  uint64_t max_payload = 64 << 10;      // largest published data
  std::string slow_consumer = "close";  // close | drop | conflate
  uint64_t max_conflated_keys = 4096;   // --slow-consumer=conflate: per member
  uint64_t max_idle_rooms = 20000;      // rooms without members remembered (all shards)
  double idle_room_ttl_s = 600;         // a room without members or publishes is forgotten
  uint64_t max_replay = 10000;          // longest resume replayed
  uint64_t dedupe_keys = 4096;          // publish keys remembered per room
  double dedupe_window_s = 120;         // and for at most this long
  uint64_t max_presence_info = 1024;    // bytes of a join's "info"
  uint64_t presence_limit = 1000;       // members listed in a presence answer
  double session_ttl_s = 120;           // a session's record waits this long for its client
  uint64_t max_sessions = 10000;        // session records kept (all shards)
  double udp_idle_timeout_s = 30;       // a silent UDP member expires
  double drain_timeout_s = 10;          // SIGTERM: connections closed in batches, then exit
  std::string api_key_file;             // the server API's key (empty: the API is off)
  uint64_t rate_limit_msgs = 0;         // requests per second per connection (0: no limit)
  uint64_t rate_limit_bytes = 0;        // request bytes per second per connection (0: none)
  double rate_limit_grace_s = 5;        // refused this long: cut off
  // Authentication (JWT).
  std::string auth = "off";         // off | required
  std::string jwt_secret_file;      // HS256/384/512
  std::string jwt_public_key_file;  // PEM: RS256, ES256 or EdDSA
  std::string jwt_audience;
  std::string jwt_issuer;
  double token_grace_s = 30;        // after token_expired, to refresh before the close (4001)
  std::string log_format = "text";  // text | json (stderr)
  uint32_t max_conns_per_ip = 0;    // open TCP connections per client address (0: no limit)
  uint32_t conn_rate_per_ip = 0;    // new TCP connections per second per address (0: none)
  // Echo listeners for load tests (-1: off, 0: the kernel picks a port).
  int tcp_echo_port = -1;
  int udp_echo_port = -1;
};

struct ParsedOptions {
  std::optional<Options> options;  // empty: exit with `exit_code` after printing `message`
  int exit_code = 0;
  std::string message;  // --help or --version text (stdout), or a one-line error (stderr)
};

// Never exits and never throws: main() decides what to do with the outcome.
ParsedOptions parse_options(int argc, const char* const* argv);

}  // namespace rg::gateway
