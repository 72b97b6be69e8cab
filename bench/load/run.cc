#include "bench/load/run.h"

#include <sched.h>
#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <memory>
#include <regex>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

#include "bench/load/echo_client.h"
#include "bench/load/fanout_client.h"
#include "bench/load/raw_fanout_client.h"
#include "bench/load/udp_echo_client.h"
#include "bench/measure/bench_counters.h"
#include "core/io/uring.h"
#include "core/net/endpoint.h"
#include "core/net/fd_limit.h"
#include "core/net/host.h"
#include "core/shard/shard.h"

namespace rg::bench {

namespace {

struct Target {
  std::string host;
  uint16_t port = 0;
  std::string path = "/";
};

Target parse_url(const std::string& url) {
  static const std::regex pattern(R"(ws://(\[[^\]]+\]|[^/:]+)(?::(\d+))?(/.*)?)");
  std::smatch m;
  if (!std::regex_match(url, m, pattern)) {
    throw std::runtime_error("--url must look like ws://HOST:PORT/PATH, got '" + url + "'");
  }
  Target t;
  t.host = m[1];
  if (t.host.front() == '[') t.host = t.host.substr(1, t.host.size() - 2);
  t.port = m[2].matched ? static_cast<uint16_t>(std::stoi(m[2])) : 80;
  t.path = m[3].matched ? std::string(m[3]) : "/";
  return t;
}

Target parse_target(const std::string& target) {
  size_t colon = target.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("--target must be HOST:PORT");
  Target t;
  t.host = target.substr(0, colon);
  if (!t.host.empty() && t.host.front() == '[') t.host = t.host.substr(1, t.host.size() - 2);
  t.port = static_cast<uint16_t>(std::stoi(target.substr(colon + 1)));
  return t;
}

std::string us(uint64_t ns) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", static_cast<double>(ns) / 1000.0);
  return text;
}

std::string with_commas(double value) {
  auto n = static_cast<uint64_t>(value + 0.5);
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

int run(const Options& options) {
  Options o = options;
  // echo over Socket.IO: each connection publishes (with an ack) into a room of its own,
  // and the round trip is publish to ack: the fanout machinery with no members.
  const bool sio_echo = o.scenario == "echo" && o.proto == "sio";
  const bool fanout = o.scenario == "fanout" || sio_echo;
  if (sio_echo) {
    o.members = 0;
    o.pubs = o.rooms = o.conns;
    o.churn = 0;
  } else if (fanout) {
    if (o.proto == "udp") throw std::runtime_error("fanout runs over --proto ws, tcp or sio");
    if ((o.proto == "sio" || o.proto == "raw") && o.churn > 0)
      throw std::runtime_error("--churn needs --proto ws or tcp");
    if (o.members == 0 || o.pubs == 0 || o.rooms == 0) {
      throw std::runtime_error("fanout needs --rooms, --pubs and --members of at least 1");
    }
  }
  if (fanout) o.conns = o.members + o.pubs;
  EchoConfig config;
  Target target;
  if (o.proto == "ws") {
    config.protocol = Protocol::kWebSocket;
    target = parse_url(
        o.url.empty() ? (fanout ? "ws://127.0.0.1:8080/" : "ws://127.0.0.1:8080/echo") : o.url);
    config.path = target.path;
    config.host = target.host + ":" + std::to_string(target.port);
  } else if (o.proto == "sio") {
    if (!fanout) throw std::runtime_error("--proto sio runs the fanout and echo scenarios");
    config.protocol = Protocol::kSocketIo;
    target = parse_url(o.url.empty() ? "ws://127.0.0.1:8080/" : o.url);
    config.path = "/socket.io/?EIO=4&transport=websocket";
    config.host = target.host + ":" + std::to_string(target.port);
  } else if (o.proto == "raw") {
    if (o.scenario != "fanout") throw std::runtime_error("--proto raw runs the fanout scenario");
    config.protocol = Protocol::kWebSocket;
    target = parse_url(o.url.empty() ? "ws://127.0.0.1:8080/raw/" : o.url);
    config.path = target.path;
    if (config.path.back() != '/') config.path += '/';
    config.host = target.host + ":" + std::to_string(target.port);
  } else if (o.proto == "tcp") {
    config.protocol = Protocol::kTcp;
    target = parse_target(o.target.empty() ? "127.0.0.1:9000" : o.target);
  } else if (o.proto == "udp") {
    target = parse_target(o.target.empty() ? "127.0.0.1:9001" : o.target);
    if (o.scenario != "echo" || o.rate > 0) {
      throw std::runtime_error("--proto udp supports the closed-loop echo scenario only");
    }
  } else {
    throw std::runtime_error("--proto " + o.proto + " is not supported");
  }
  bool connect_only = o.scenario == "connect";
  config.size = o.size;
  config.pipeline = connect_only ? 0 : o.pipeline;  // connect: open, then hold in silence
  if (o.rate > 0 && !connect_only) config.rate_per_connection = o.rate / o.conns;
  core::Endpoint endpoint = core::Endpoint::resolve(target.host, target.port);
  core::UringSupport uring = core::probe_io_uring();
  core::raise_descriptor_limit();
  long rss_before = o.server_pid > 0 ? core::resident_kib(o.server_pid) : -1;

  const sigset_t signals = core::block_stop_signals();

  std::vector<int> cpus = core::allowed_cpus();
  SharedRunState run_state;
  std::atomic<int> open_connections{0};
  std::vector<std::unique_ptr<BenchCounters>> counters;
  std::vector<std::unique_ptr<core::Shard>> shards;
  FanoutConfig fanout_config;
  fanout_config.protocol = config.protocol;
  fanout_config.host = config.host;
  fanout_config.path = config.path;
  fanout_config.rooms = o.rooms;
  fanout_config.size = o.size;
  fanout_config.pipeline = o.pipeline;
  if (o.rate > 0) fanout_config.rate_per_publisher = o.rate / o.pubs;
  fanout_config.ckeys = o.ckeys;
  fanout_config.slow_members = o.slow_members;
  fanout_config.churn_per_member = o.members > 0 ? o.churn / o.members : 0;
  fanout_config.ack_latency = sio_echo;
  fanout_config.sio_polling_members = o.proto == "sio" && o.sio_members == "polling";
  FanoutShared fanout_shared;
  fanout_shared.members = o.members;
  const bool raw = o.proto == "raw";
  RawFanoutConfig raw_config;
  raw_config.host = config.host;
  raw_config.path_base = config.path;
  raw_config.rooms = o.rooms;
  raw_config.members = o.members;
  raw_config.publishers = o.pubs;
  raw_config.size = o.size;
  raw_config.window = o.pipeline;
  if (o.rate > 0) raw_config.rate_per_publisher = o.rate / o.pubs;
  RawFanoutBoard raw_board(raw_config);
  uint32_t first_connection = 0;
  uint32_t first_member = 0, first_publisher = 0;
  for (unsigned i = 0; i < o.threads; ++i) {
    uint32_t share = o.conns / o.threads + (i < o.conns % o.threads ? 1 : 0);
    uint32_t member_share = o.members / o.threads + (i < o.members % o.threads ? 1 : 0);
    uint32_t pub_share = o.pubs / o.threads + (i < o.pubs % o.threads ? 1 : 0);
    if (fanout) share = member_share + pub_share;
    core::ShardConfig sc;
    sc.index = i;
    sc.cpu = cpus[i % cpus.size()];
    sc.setup_flags = uring.setup_flags;
    sc.max_outbuf = std::max<size_t>(size_t{4} << 20, 2 * (o.size + 16) * o.pipeline);
    sc.open_connections = &open_connections;
    sc.max_connections = 1 << 24;
    sc.rx_buffers = 1024;
    sc.timer_tick_ms = 1;  // paces open-loop sends
    counters.push_back(std::make_unique<BenchCounters>());
    if (o.proto == "udp") {
      // Send slots and receive buffers for a whole window: every datagram of the shard's
      // sockets may be in flight at once (the start is one burst).
      uint64_t window = uint64_t{share} * o.pipeline * 2;
      sc.udp_buffers = 1024;
      while (sc.udp_buffers < window && sc.udp_buffers < 32768) sc.udp_buffers *= 2;
      sc.udp_buffer_size =
          static_cast<uint32_t>(std::max<uint64_t>(o.size, 8) + core::kDatagramBufferOverhead);
    }
    auto shard = std::make_unique<core::Shard>(sc);
    if (o.proto == "udp") {
      // One connected UDP socket per "connection": the server's replies come back to it.
      for (uint32_t c = 0; c < share; ++c) {
        int fd = socket(endpoint.address.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, reinterpret_cast<const sockaddr*>(&endpoint.address),
                              endpoint.length) != 0) {
          throw std::system_error(errno, std::generic_category(),
                                  "UDP socket to " + endpoint.to_string());
        }
        shard->add_datagram_socket(
            fd, std::make_unique<UdpEchoClient>(o.size, o.pipeline, *counters.back(), run_state));
      }
    } else if (raw && share > 0) {
      // Members and publishers alike are connections of a room: a thread takes the next
      // `share` of them (members first, publishers last).
      shard->add_outbound(endpoint,
                          std::make_unique<RawFanoutService>(
                              raw_config, raw_board, *counters.back(), run_state, first_connection),
                          share);
      first_connection += share;
    } else if (fanout && share > 0) {
      shard->add_outbound(endpoint,
                          std::make_unique<FanoutClientService>(
                              fanout_config, *counters.back(), run_state, fanout_shared,
                              member_share, pub_share, first_member, first_publisher),
                          share);
      first_member += member_share;
      first_publisher += pub_share;
    } else if (share > 0) {
      shard->add_outbound(endpoint,
                          std::make_unique<EchoClientService>(config, *counters.back(), run_state),
                          share);
    }
    shards.push_back(std::move(shard));
  }

  std::string shown = o.proto == "ws" || o.proto == "sio" || raw
                          ? "ws://" + config.host + config.path
                          : endpoint.to_string();
  if (fanout) {
    std::printf("fanout: %u members and %u publishers in %u rooms\n", o.members, o.pubs, o.rooms);
  }
  std::printf("ringgate-bench %s: proto=%s target=%s conns=%u size=%" PRIu64
              " %s threads=%u duration=%gs warmup=%gs\n",
              o.scenario.c_str(), o.proto.c_str(), shown.c_str(), o.conns, o.size,
              o.rate > 0 ? ("rate=" + with_commas(o.rate) + "/s (open loop)").c_str()
                         : ("pipeline=" + std::to_string(o.pipeline)).c_str(),
              o.threads, o.duration, o.warmup);
  std::fflush(stdout);
  std::vector<std::future<void>> ready;
  for (auto& shard : shards) ready.push_back(shard->start());
  for (auto& r : ready) r.get();

  auto sum = [&](std::atomic<uint64_t> BenchCounters::*member) {
    uint64_t total = 0;
    for (auto& c : counters) total += ((*c).*member).load(std::memory_order_relaxed);
    return total;
  };
  auto errors = [&] {
    uint64_t total = 0;
    for (auto& c : counters) total += c->errors();
    return total;
  };

  using Clock = std::chrono::steady_clock;
  auto seconds_to = [](double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  };
  auto start = Clock::now();
  auto measure_from = start + seconds_to(o.warmup);
  auto measure_until = measure_from + seconds_to(o.duration);
  uint64_t received_at_start = 0;
  uint64_t bytes_at_start = 0;
  uint64_t last_received = 0;
  bool measuring = false;
  bool interrupted = false;
  double all_open_after = -1;  // seconds until every connection was ready
  auto next_tick = start + std::chrono::seconds(1);
  for (;;) {
    auto now = Clock::now();
    if (!measuring && now >= measure_from) {
      measuring = true;
      received_at_start = sum(&BenchCounters::received);
      bytes_at_start = sum(&BenchCounters::bytes_received);
      run_state.measuring.store(true, std::memory_order_relaxed);
    }
    if (all_open_after < 0 && sum(&BenchCounters::open) == o.conns) {
      all_open_after = std::chrono::duration<double>(now - start).count();
    }
    if (now >= measure_until) break;
    timespec zero{0, 0};
    if (sigtimedwait(&signals, nullptr, &zero) > 0) {
      interrupted = true;
      break;
    }
    if (now >= next_tick) {
      uint64_t received = sum(&BenchCounters::received);
      Histogram last;
      for (auto& c : counters) last.merge(c->last_interval());
      double elapsed = std::chrono::duration<double>(now - start).count();
      std::fprintf(stderr,
                   "[%5.1fs]%s %12s msg/s  p50 %8s us  p99 %8s us  conns %" PRIu64
                   "/%u  errors %" PRIu64 "\n",
                   elapsed, measuring ? "" : " warmup",
                   with_commas(static_cast<double>(received - last_received)).c_str(),
                   us(last.quantile(0.5)).c_str(), us(last.quantile(0.99)).c_str(),
                   sum(&BenchCounters::open), o.conns, errors());
      last_received = received;
      next_tick += std::chrono::seconds(1);
      // Nothing can be measured without a single connection: stop early with the reason.
      if (sum(&BenchCounters::open) == 0 && errors() >= o.conns) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto end = Clock::now();
  long rss_after = o.server_pid > 0 ? core::resident_kib(o.server_pid) : -1;
  uint64_t open_at_end = sum(&BenchCounters::open);
  run_state.measuring.store(false, std::memory_order_relaxed);
  uint64_t received = sum(&BenchCounters::received) - received_at_start;
  uint64_t bytes = sum(&BenchCounters::bytes_received) - bytes_at_start;
  run_state.finished.store(true, std::memory_order_relaxed);
  for (auto& shard : shards) shard->request_stop();
  for (auto& shard : shards) shard->join();

  Histogram latency;
  for (auto& c : counters) latency.merge(c->total());
  double seconds = measuring ? std::chrono::duration<double>(end - measure_from).count() : 0;
  double rate = seconds > 0 ? static_cast<double>(received) / seconds : 0;
  double byte_rate = seconds > 0 ? static_cast<double>(bytes) / seconds : 0;
  uint64_t connect_failed = sum(&BenchCounters::connect_failed);
  uint64_t handshake_failed = sum(&BenchCounters::handshake_failed);
  uint64_t closed = sum(&BenchCounters::closed_by_server);
  uint64_t mismatched = sum(&BenchCounters::mismatched);
  uint64_t lost = sum(&BenchCounters::lost);
  uint64_t duplicated = sum(&BenchCounters::duplicated);

  if (connect_only) {
    std::printf("\nconnections   %" PRIu64 " of %u open at the end", open_at_end, o.conns);
    if (all_open_after >= 0) {
      std::printf("; all %u open after %.2f s (%s per second)\n", o.conns, all_open_after,
                  with_commas(o.conns / std::max(all_open_after, 1e-3)).c_str());
    } else {
      std::printf("; never all open\n");
    }
    if (rss_before >= 0 && rss_after >= 0 && open_at_end > 0) {
      std::printf(
          "server memory %ld KiB before, %ld KiB with the connections: %.2f KiB per connection\n",
          rss_before, rss_after,
          static_cast<double>(rss_after - rss_before) / static_cast<double>(open_at_end));
    }
  }
  std::printf("\n%-10s %14s %14s %12s\n", "", "messages", "msg/s", "MB/s");
  if (fanout) {
    uint64_t published = sum(&BenchCounters::sent);
    std::printf("%-10s %14s %14s\n", "published",
                with_commas(static_cast<double>(published)).c_str(), "(whole run)");
  }
  std::printf("%-10s %14s %14s %12.1f\n", fanout ? "delivered" : "echoes",
              with_commas(static_cast<double>(received)).c_str(), with_commas(rate).c_str(),
              byte_rate / 1e6);
  std::printf("\nlatency (us)  p50 %s  p90 %s  p99 %s  p99.9 %s  p99.99 %s  max %s  (%" PRIu64
              " samples)\n",
              us(latency.quantile(0.5)).c_str(), us(latency.quantile(0.9)).c_str(),
              us(latency.quantile(0.99)).c_str(), us(latency.quantile(0.999)).c_str(),
              us(latency.quantile(0.9999)).c_str(), us(latency.max()).c_str(), latency.count());
  if (fanout && o.ckeys > 0) {
    std::printf(
        "conflation    %s messages replaced by newer ones of their key (as the gateway told)\n",
        with_commas(static_cast<double>(sum(&BenchCounters::conflated))).c_str());
  }
  if (fanout && o.churn > 0) {
    std::printf(
        "churn         %s resumes (members dropped and back), %s messages replayed "
        "from history\n",
        with_commas(static_cast<double>(sum(&BenchCounters::resumes))).c_str(),
        with_commas(static_cast<double>(sum(&BenchCounters::replayed))).c_str());
  }
  uint64_t total_errors =
      connect_failed + handshake_failed + closed + mismatched + lost + duplicated;
  std::printf("errors        %" PRIu64 " (connect %" PRIu64 ", handshake %" PRIu64
              ", closed by server %" PRIu64 ", wrong %s %" PRIu64 ", lost %" PRIu64
              ", duplicated or out of order %" PRIu64 ")\n",
              total_errors, connect_failed, handshake_failed, closed, fanout ? "message" : "echo",
              mismatched, lost, duplicated);
  if (total_errors != 0) {
    std::string first;
    for (auto& c : counters) {
      if (first.empty()) first = c->first_error();
    }
    std::printf("\n*** %" PRIu64 " ERRORS: the figures above are not to be trusted. First: %s\n",
                total_errors, first.c_str());
  }
  if (!o.json.empty()) {
    std::ofstream out(o.json);
    out << "{\"scenario\":\"" << o.scenario << "\",\"proto\":\"" << o.proto
        << "\",\"conns\":" << o.conns << ",\"size\":" << o.size << ",\"pipeline\":" << o.pipeline
        << ",\"threads\":" << o.threads << ",\"rate_target\":" << o.rate
        << ",\"seconds\":" << seconds << ",\"messages\":" << received << ",\"rate\":" << rate
        << ",\"bytes_per_second\":" << byte_rate
        << ",\"latency_us\":{\"p50\":" << latency.quantile(0.5) / 1000.0
        << ",\"p90\":" << latency.quantile(0.9) / 1000.0
        << ",\"p99\":" << latency.quantile(0.99) / 1000.0
        << ",\"p99.9\":" << latency.quantile(0.999) / 1000.0
        << ",\"p99.99\":" << latency.quantile(0.9999) / 1000.0
        << ",\"max\":" << latency.max() / 1000.0 << "},\"errors\":{\"connect\":" << connect_failed
        << ",\"handshake\":" << handshake_failed << ",\"closed_by_server\":" << closed
        << ",\"wrong_echo\":" << mismatched << ",\"lost\":" << lost
        << ",\"duplicated_or_reordered\":" << duplicated << "},\"open_at_end\":" << open_at_end
        << ",\"all_open_after_s\":" << all_open_after << ",\"server_rss_kib_before\":" << rss_before
        << ",\"server_rss_kib_after\":" << rss_after
        << ",\"total_sent\":" << sum(&BenchCounters::sent)
        << ",\"total_received\":" << sum(&BenchCounters::received)
        << ",\"resumes\":" << sum(&BenchCounters::resumes)
        << ",\"replayed\":" << sum(&BenchCounters::replayed)
        << ",\"conflated\":" << sum(&BenchCounters::conflated) << "}\n";
  }
  if (interrupted) return 130;
  if (connect_only) return total_errors == 0 && open_at_end == o.conns ? 0 : 1;
  return total_errors == 0 && received > 0 ? 0 : 1;
}

}  // namespace rg::bench
