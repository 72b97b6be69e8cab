#include "gateway/gateway.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/bus/bus.h"
#include "core/bus/mailbox.h"
#include "core/io/uring.h"
#include "core/net/endpoint.h"
#include "core/net/fd_limit.h"
#include "core/net/host.h"
#include "core/shard/shard.h"
#include "gateway/allocator.h"
#include "gateway/api/api_service.h"
#include "gateway/http/admin_handler.h"
#include "gateway/http/connection_hand_off.h"
#include "gateway/http/front_door_service.h"
#include "gateway/rooms/room_hub.h"
#include "gateway/sio/sio_service.h"
#include "gateway/systemd_notify.h"
#include "gateway/transports/tcp_echo.h"
#include "gateway/transports/tcp_gateway.h"
#include "gateway/transports/udp_cookie.h"
#include "gateway/transports/udp_echo.h"
#include "gateway/transports/udp_gateway.h"
#include "gateway/transports/unfinished_messages.h"
#include "gateway/transports/ws_service.h"
#include "gateway/version.h"
#include "proto/auth/jwt.h"
#include "proto/ws/ws_unmask.h"

namespace rg::gateway {

namespace {

// Entries of a shard's registered file table at most: 8 bytes of kernel memory each.
constexpr uint64_t kMaxFixedFileSlots = 1 << 18;

// A key file's contents (start-up only; throws naming the flag). A secret loses the line
// end its editor added; a PEM is kept whole.
std::string read_key_file(const std::string& path, const char* flag, bool trim) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in && !in.eof()) throw std::runtime_error(std::string(flag) + ": cannot read " + path);
  if (trim) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  }
  if (text.empty()) throw std::runtime_error(std::string(flag) + ": " + path + " is empty");
  return text;
}

HubConfig hub_config(const Options& options) {
  HubConfig config;
  config.owner.history = options.history;
  config.owner.history_bytes = options.history_bytes;
  config.owner.max_replay = options.max_replay;
  config.owner.dedupe_keys = options.dedupe_keys;
  config.owner.dedupe_window_ms = static_cast<uint64_t>(options.dedupe_window_s * 1000);
  config.owner.presence_limit = options.presence_limit;
  config.max_presence_info = options.max_presence_info;
  config.max_rooms_per_member = options.max_rooms_per_conn;
  config.max_payload = options.max_payload;
  config.max_outbuf = options.max_outbuf;
  config.max_datagram = options.max_datagram;
  config.slow_consumer = options.slow_consumer == "drop"       ? SlowConsumer::kDrop
                         : options.slow_consumer == "conflate" ? SlowConsumer::kConflate
                                                               : SlowConsumer::kClose;
  config.max_conflated_keys = options.max_conflated_keys;
  config.rate_limits.messages_per_s = options.rate_limit_msgs;
  config.rate_limits.bytes_per_s = options.rate_limit_bytes;
  config.rate_limits.grace_ms = static_cast<uint64_t>(options.rate_limit_grace_s * 1000);
  if (options.auth == "required") {
    config.auth.required = true;
    if (!options.jwt_secret_file.empty()) {
      config.auth.jwt.secret = read_key_file(options.jwt_secret_file, "--jwt-secret-file", true);
    }
    if (!options.jwt_public_key_file.empty()) {
      config.auth.jwt.public_key_pem =
          read_key_file(options.jwt_public_key_file, "--jwt-public-key-file", false);
    }
    config.auth.jwt.audience = options.jwt_audience;
    config.auth.jwt.issuer = options.jwt_issuer;
    config.auth.first_ms = static_cast<uint64_t>(options.handshake_timeout_s * 1000);
    config.auth.grace_ms = static_cast<uint64_t>(options.token_grace_s * 1000);
    proto::JwtVerifier check(config.auth.jwt);  // a bad key stops the start-up here
  }
  return config;
}

// Stops in two halves, so that nothing accepted is lost: first no shard accepts or reads
// any more while deliveries already under way reach their members' queues (every shard
// drained and every ring of the bus empty, twice in a row), then every connection is told
// (WebSocket 1001) and closed after its queue is flushed.
void stop_shards(core::Bus& bus, std::vector<std::unique_ptr<core::Shard>>& shards,
                 std::chrono::milliseconds drain_limit) {
  for (auto& shard : shards) shard->request_drain();
  auto deadline = std::chrono::steady_clock::now() + drain_limit;
  int quiet_looks = 0;
  while (quiet_looks < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    // Rings first: a shard takes a message off a ring only after it stopped saying drained.
    bool quiet = bus.looks_empty();
    for (auto& shard : shards) quiet = quiet && shard->drained();
    quiet_looks = quiet ? quiet_looks + 1 : 0;
  }
  for (auto& shard : shards) shard->request_stop();
  for (auto& shard : shards) shard->join();
}

// A drain (SIGTERM): /readyz is 503 already; listeners close and every shard closes its
// connections in batches across most of --drain-timeout, then the stop above takes what
// is left (its own budget: up to 2 s to deliver what is under way, 1.5 s to flush).
void drain_and_stop(core::Bus& bus, std::vector<std::unique_ptr<core::Shard>>& shards,
                    double drain_timeout_s) {
  using std::chrono::milliseconds;
  auto total = milliseconds(static_cast<int64_t>(drain_timeout_s * 1000));
  milliseconds stop_budget = std::clamp(total * 35 / 100, milliseconds(1600), milliseconds(3500));
  milliseconds window = total > stop_budget ? total - stop_budget : milliseconds(0);
  if (window.count() > 0) {
    for (auto& shard : shards) shard->request_shed(static_cast<uint32_t>(window.count()));
    auto deadline = std::chrono::steady_clock::now() + window + milliseconds(200);
    while (std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(10));
      bool shed = true;
      for (auto& shard : shards) shed = shed && shard->shed();
      if (shed) break;
    }
  }
  // Without a window (--drain-timeout under 1.6 s), everything is closed at once after what
  // is under way is delivered (2 s at most); otherwise the stop keeps within the budget.
  milliseconds drain_limit = window.count() == 0
                                 ? milliseconds(2000)
                                 : std::max(stop_budget - milliseconds(1500), milliseconds(200));
  stop_shards(bus, shards, drain_limit);
}

}  // namespace

int run_gateway(const Options& options) {
  core::UringSupport uring = core::probe_io_uring();
  std::vector<int> cpus = core::allowed_cpus();
  unsigned shard_count = options.shards != 0 ? options.shards : static_cast<unsigned>(cpus.size());
  // The log: shards queue their events, its thread writes them (core/log.h). The main
  // thread's own lines keep their text form unless --log-format json.
  core::Logger logger(options.log_format == "json", shard_count);
  auto say = [&](core::LogLevel level, std::string_view event, const std::string& text) {
    if (logger.json()) {
      std::string_view detail = text;
      if (detail.starts_with("ringgate: ")) detail.remove_prefix(10);
      logger.write(level, event, detail);
    } else {
      std::fprintf(stderr, "%s\n", text.c_str());
    }
  };
  uint64_t descriptors = core::raise_descriptor_limit();
  if (descriptors < options.max_connections + 64) {
    say(core::LogLevel::kWarn, "descriptors",
        "ringgate: warning: only " + std::to_string(descriptors) +
            " file descriptors may be open, fewer than --max-connections " +
            std::to_string(options.max_connections) +
            "; raise the hard limit (ulimit -Hn) or run as root");
  }

  // Signals are taken by sigwait() on this thread only; shards inherit the mask.
  const sigset_t stop_signals = core::block_stop_signals();

  core::Endpoint tcp = core::Endpoint::resolve(options.bind, options.tcp_port);
  core::Endpoint udp = core::Endpoint::resolve(options.bind, options.udp_port);
  core::Endpoint ws = core::Endpoint::resolve(options.bind, options.ws_port);
  core::Endpoint admin = core::Endpoint::resolve(options.admin_bind, options.admin_port);
  WsConfig ws_config;
  ws_config.max_message = options.max_message;
  // A gateway request is its data plus a room, an id, an op and a few flags or fields:
  // 4 KiB covers them (and unknown fields of newer clients) many times over.
  constexpr uint64_t kEnvelopeAllowance = 4096;
  uint64_t gateway_message = options.max_payload + kEnvelopeAllowance;
  ws_config.max_gateway_message = gateway_message;
  ws_config.max_engine_io_message = options.sio_max_payload;
  auto tcp_gateway_frame = static_cast<uint32_t>(std::min(options.max_frame, gateway_message));
  ws_config.ping_interval_ms = static_cast<uint32_t>(options.ping_interval_s * 1000);
  FrontDoorConfig front_config;
  front_config.max_body = options.http_max_body;
  front_config.socket_io_max_body = options.sio_max_payload;
  SioConfig sio_config;
  sio_config.ping_interval_ms = options.sio_ping_interval_ms;
  sio_config.ping_timeout_ms = options.sio_ping_timeout_ms;
  sio_config.max_payload = options.sio_max_payload;
  sio_config.connect_timeout_ms = options.sio_connect_timeout_ms;
  sio_config.recovery_ms = options.sio_recovery_ms;
  sio_config.upgrade_timeout_ms = options.sio_upgrade_timeout_ms;
  sio_config.cors_origin = options.sio_cors_origin;
  sio_config.max_outbuf = options.max_outbuf;
  // Engine.IO sessions (and the records kept for recovery) per shard: a shard's share of
  // --max-connections, as every session has had a connection.
  sio_config.max_sessions = std::max<uint64_t>(1, options.max_connections / shard_count);
  front_config.request_timeout_ms = static_cast<uint32_t>(options.handshake_timeout_s * 1000);
  front_config.idle_timeout_ms = static_cast<uint32_t>(options.http_idle_timeout_s * 1000);

  std::optional<core::Endpoint> tcp_echo, udp_echo;
  if (options.tcp_echo_port >= 0) {
    tcp_echo = core::Endpoint::resolve(options.bind, static_cast<uint16_t>(options.tcp_echo_port));
  }
  if (options.udp_echo_port >= 0) {
    udp_echo = core::Endpoint::resolve(options.bind, static_cast<uint16_t>(options.udp_echo_port));
  }

  // Declared before the shards, so destroyed after them: sessions leave their rooms as the
  // shards tear down.
  core::Bus bus(shard_count);
  HubConfig rooms = hub_config(options);
  if (rooms.auth.required) {
    say(core::LogLevel::kInfo, "auth",
        "ringgate: --auth required; tokens: " + proto::JwtVerifier(rooms.auth.jwt).allowed());
  }
  // Every room's owner divides the idle-room budget with the other shards.
  rooms.owner.max_idle_rooms = std::max<uint64_t>(1, options.max_idle_rooms / shard_count);
  rooms.owner.history_total_bytes = options.history_total / shard_count;  // likewise
  rooms.owner.idle_room_ttl_ms = static_cast<uint64_t>(options.idle_room_ttl_s * 1000);
  rooms.session_ttl_ms = static_cast<uint64_t>(options.session_ttl_s * 1000);
  rooms.max_sessions = std::max<uint64_t>(1, options.max_sessions / shard_count);
  // Each shard's mailbox is its loop hook; the rooms are one of its services.
  std::vector<std::unique_ptr<core::ShardMailbox>> mailboxes;
  std::vector<std::unique_ptr<RoomHub>> hubs;
  for (unsigned i = 0; i < shard_count; ++i) {
    mailboxes.push_back(std::make_unique<core::ShardMailbox>(bus, i));
    hubs.push_back(std::make_unique<RoomHub>(*mailboxes[i], rooms));
  }
  // Each shard gets an equal share of the budget, but room for two of the largest gateway
  // messages at least.
  UnfinishedLimits unfinished_limits;
  unfinished_limits.budget_bytes =
      std::max<uint64_t>(options.assembly_budget / shard_count, 2 * gateway_message);
  unfinished_limits.timeout_ms = static_cast<uint32_t>(options.message_timeout_s * 1000);
  std::vector<std::unique_ptr<UnfinishedMessages>> unfinished;
  for (unsigned i = 0; i < shard_count; ++i)
    unfinished.push_back(std::make_unique<UnfinishedMessages>(unfinished_limits));
  const CookieKey cookie_key = CookieKey::random();
  UdpGatewayConfig udp_config;
  udp_config.idle_timeout_ms = static_cast<uint32_t>(options.udp_idle_timeout_s * 1000);
  udp_config.max_peers = std::max<uint64_t>(1, options.max_connections / shard_count);

  std::atomic<int> open_connections{0};
  // The admin listener, on the first shard (its requests are few): /readyz reads `ready`.
  std::atomic<bool> ready{false};
  MetricsSources metric_sources;
  for (auto& hub : hubs) metric_sources.hubs.push_back(hub.get());
  // The shards' and Socket.IO's figures are added as they are made, below.
  // The server API: one service per shard (disconnects and the busiest rooms are asked of
  // every shard); the admin listener's shard takes the requests.
  ApiConfig api_config;
  if (!options.api_key_file.empty()) {
    std::string warning;
    api_config.key = read_api_key(options.api_key_file, warning);
    if (!warning.empty()) say(core::LogLevel::kWarn, "api_key", "ringgate: warning: " + warning);
  }
  std::vector<std::unique_ptr<ApiService>> api_services;
  for (unsigned i = 0; i < shard_count; ++i) {
    api_services.push_back(std::make_unique<ApiService>(*hubs[i], api_config, metric_sources));
  }
  AdminHandler admin_handler(ready, metric_sources, *api_services[0]);
  FrontDoorConfig admin_config;
  admin_config.everything = &admin_handler;
  admin_config.request_timeout_ms = front_config.request_timeout_ms;
  admin_config.idle_timeout_ms = front_config.idle_timeout_ms;
  // An API publish carries up to --max-payload of data (base64 or escaped: twice that).
  admin_config.max_body =
      std::max<uint64_t>(64 << 10, 2 * options.max_payload + kEnvelopeAllowance);
  // Outlive the shards (their connections' sessions read them).
  std::vector<std::unique_ptr<FrontDoorService>> adoption_services;
  std::vector<std::unique_ptr<ConnectionHandOff>> hand_offs;
  std::vector<std::unique_ptr<SioService>> sio_services;
  std::vector<std::unique_ptr<core::Shard>> shards;
  // One table entry per connection a shard may hold (any shard may get them all), within
  // the descriptor limit (the kernel's bound on a table) and 2 MiB of kernel memory each.
  uint32_t fixed_file_slots =
      uring.fixed_files && options.registered_files == "on"
          ? static_cast<uint32_t>(
                std::min<uint64_t>({options.max_connections + 64, descriptors, kMaxFixedFileSlots}))
          : 0;
  for (unsigned i = 0; i < shard_count; ++i) {
    core::ShardConfig config;
    config.index = i;
    config.cpu = cpus[i % cpus.size()];
    config.setup_flags = uring.setup_flags;
    config.rx_buffers = options.rx_buffers;
    config.rx_buffer_size = static_cast<uint32_t>(options.rx_buffer_size);
    config.udp_buffer_size =
        static_cast<uint32_t>(options.max_datagram + core::kDatagramBufferOverhead);
    config.max_outbuf = options.max_outbuf;
    config.fixed_file_slots = fixed_file_slots;
    config.write_delay_ns = static_cast<uint64_t>(options.write_delay_ms * 1e6);
    config.idle_timeout_ms = static_cast<uint32_t>(options.idle_timeout_s * 1000);
    config.close_linger_ms = static_cast<uint32_t>(options.close_linger_s * 1000);
    config.sndbuf = static_cast<uint32_t>(options.sndbuf);
    config.on_quiet = &release_free_memory;
    config.open_connections = &open_connections;
    config.max_connections = static_cast<int>(options.max_connections);
    // Each shard takes its share of the per-address limits (the kernel spreads one
    // address's connections over the shards).
    auto share = [&](uint32_t limit) {
      return limit == 0 ? 0 : (limit + shard_count - 1) / shard_count;
    };
    config.ip_limits.max_conns = share(options.max_conns_per_ip);
    config.ip_limits.conn_rate = share(options.conn_rate_per_ip);
    config.log = &logger.shard(i);
    auto shard = std::make_unique<core::Shard>(config);
    RoomHub& hub = *hubs[i];
    FrontDoorConfig shard_front = front_config;
    shard_front.ws = ws_config;
    shard_front.ws.hub = &hub;
    shard_front.ws.unfinished = unfinished[i].get();
    // Engine.IO hands requests to their sessions' shards; the shard adopts them with a
    // front door of its own (set once it exists: it serves Engine.IO too).
    hand_offs.push_back(std::make_unique<ConnectionHandOff>(*mailboxes[i], *shard));
    sio_services.push_back(std::make_unique<SioService>(hub, sio_config, *hand_offs.back()));
    metric_sources.shards.push_back(&shard->stats());
    metric_sources.sio.push_back(&sio_services.back()->stats());
    shard_front.socket_io = sio_services.back().get();
    // The first shard's bind picks the port when it is 0; the others join it.
    shard->add_stream_listener(
        core::open_listening_socket(tcp, core::Transport::kTcp),
        std::make_unique<TcpGatewayService>(hub, unfinished[i].get(), tcp_gateway_frame));
    shard->add_stream_listener(core::open_listening_socket(ws, core::Transport::kTcp),
                               std::make_unique<FrontDoorService>(shard_front));
    FrontDoorConfig adopted = shard_front;
    adopted.adopted = true;
    adoption_services.push_back(std::make_unique<FrontDoorService>(adopted));
    hand_offs.back()->adopt_with(*adoption_services.back());
    if (i == 0) {
      shard->add_stream_listener(core::open_listening_socket(admin, core::Transport::kTcp),
                                 std::make_unique<FrontDoorService>(admin_config),
                                 /*keep_while_shedding=*/true);
    }
    shard->add_datagram_socket(core::open_listening_socket(udp, core::Transport::kUdp),
                               std::make_unique<UdpGatewayService>(hub, cookie_key, udp_config));
    if (tcp_echo) {
      shard->add_stream_listener(core::open_listening_socket(*tcp_echo, core::Transport::kTcp),
                                 std::make_unique<TcpEchoService>(options.max_frame));
    }
    if (udp_echo) {
      shard->add_datagram_socket(core::open_listening_socket(*udp_echo, core::Transport::kUdp),
                                 std::make_unique<UdpEchoService>());
    }
    shard->set_loop_hook(mailboxes[i].get());
    bus.attach(i, shard.get());
    shards.push_back(std::move(shard));
  }

  std::vector<std::future<void>> ready_shards;
  for (auto& shard : shards) ready_shards.push_back(shard->start());
  try {
    for (auto& r : ready_shards) r.get();
  } catch (...) {
    for (auto& shard : shards) shard->request_stop();
    for (auto& shard : shards) shard->join();
    throw;
  }

  logger.start();
  std::string described =
      std::string("ringgate ") + kVersion + ": " + std::to_string(shard_count) + " shards on CPUs";
  for (unsigned i = 0; i < shard_count; ++i)
    described += " " + std::to_string(cpus[i % cpus.size()]);
  described += "; kernel " + uring.kernel_release + "; io_uring " + uring.setup_flags_text +
               "; registered files " +
               (fixed_file_slots != 0 ? std::to_string(fixed_file_slots) + " per shard"
                : !uring.fixed_files  ? uring.no_fixed_files_reason
                                      : std::string("off")) +
               "; allocator " + allocator_name();
  say(core::LogLevel::kInfo, "started", described);
  say(core::LogLevel::kInfo, "unmasking",
      std::string("ringgate: WebSocket unmasking with ") +
          proto::unmask_name(proto::unmask_best()));
  std::string line = "ringgate listening tcp=" + tcp.to_string() + " udp=" + udp.to_string() +
                     " ws=" + ws.to_string();
  if (tcp_echo) line += " tcp-echo=" + tcp_echo->to_string();
  if (udp_echo) line += " udp-echo=" + udp_echo->to_string();
  line += " admin=" + admin.to_string();
  ready.store(true, std::memory_order_release);  // every shard serves
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  if (logger.json()) say(core::LogLevel::kInfo, "listening", line);
  notify_systemd("READY=1\nSTATUS=serving: " + line.substr(std::string_view("ringgate ").size()));

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  say(core::LogLevel::kInfo, "stopping",
      std::string("ringgate: ") + (signal_number == SIGINT ? "SIGINT" : "SIGTERM") +
          " received, stopping");
  ready.store(false, std::memory_order_release);  // /readyz: 503 from now on
  notify_systemd("STOPPING=1\nSTATUS=draining");
  drain_and_stop(bus, shards, options.drain_timeout_s);
  logger.stop();  // (the shards are stopped: nothing more is queued)
  for (auto& shard : shards) {
    const UnfinishedStats& u = unfinished[shard->index()]->stats();
    char tail[160];
    std::snprintf(tail, sizeof tail,
                  "unfinished_cut_budget=%llu unfinished_cut_late=%llu unfinished_peak=%zu",
                  static_cast<unsigned long long>(u.cut_over_budget),
                  static_cast<unsigned long long>(u.cut_too_slow), u.peak_bytes);
    say(core::LogLevel::kInfo, "shard_counters",
        "ringgate shard=" + std::to_string(shard->index()) + " " + shard->stats().to_string() +
            " " + hubs[shard->index()]->stats().to_string() + " " +
            sio_services[shard->index()]->stats().to_string() + " " + tail);
  }
  say(core::LogLevel::kInfo, "stopped", "ringgate: stopped");
  return 0;
}

}  // namespace rg::gateway
