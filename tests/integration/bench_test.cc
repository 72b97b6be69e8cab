// ringgate-bench against the real gateway: its counts must agree with the server's, and
// every kind of trouble must be reported as an error, never as a figure.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "proto/envelope/binary_envelope.h"
#include "proto/envelope/length_prefixed.h"
#include "tests/integration/gateway_process.h"

namespace rg::testing {
namespace {

using namespace std::chrono_literals;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

uint64_t json_number(const std::string& json, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(json, m, std::regex("\"" + key + "\":(-?[0-9.e+]+)"))) return UINT64_MAX;
  return static_cast<uint64_t>(std::stod(m[1]));
}

std::string temp_json() {
  char path[] = "/tmp/ringgate-bench-XXXXXX";
  int fd = mkstemp(path);
  ::close(fd);
  return path;
}

ProcessResult bench(std::vector<std::string> args) {
  args.insert(args.begin(), RINGGATE_BENCH);
  return run_command(args, 60s);
}

// Runs the bench with --json and expects a clean run: exit 0 and no errors. `r` gets the
// process's outcome and `results` the JSON it wrote.
void run_clean(std::vector<std::string> args, ProcessResult& r, std::string& results) {
  std::string json = temp_json();
  args.insert(args.end(), {"--json", json});
  r = bench(args);
  results = read_file(json);
  unlink(json.c_str());
  ASSERT_TRUE(r.exited);
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("errors        0"), std::string::npos) << r.stdout_text;
}

void expect_counts_agree(const char* proto) {
  GatewayProcess gateway({"--shards", "2"});
  ASSERT_TRUE(gateway.started());
  std::string where = std::string(proto) == "ws"
                          ? "ws://127.0.0.1:" + std::to_string(gateway.ws_port()) + "/echo"
                          : "127.0.0.1:" + std::to_string(gateway.tcp_echo_port());
  ProcessResult r;
  std::string out;
  run_clean({"echo", "--proto", proto, std::string(proto) == "ws" ? "--url" : "--target", where,
             "--conns", "20", "--size", "32", "--pipeline", "4", "--duration", "1", "--warmup",
             "0.3", "--threads", "2"},
            r, out);
  if (::testing::Test::HasFatalFailure()) return;
  EXPECT_NE(r.stderr_text.find("msg/s"), std::string::npos) << "a progress line each second";
  uint64_t measured = json_number(out, "messages");
  uint64_t sent = json_number(out, "total_sent");
  uint64_t received = json_number(out, "total_received");
  EXPECT_GT(measured, 1000u);
  EXPECT_LE(measured, received);
  EXPECT_LE(received, sent);
  EXPECT_LE(sent - received, 20u * 4u) << "at most the pipeline is in flight at the end";
  ASSERT_EQ(gateway.stop(SIGTERM, 5s), 0);
  // Everything the bench sent reached the server; everything it counted came from it.
  EXPECT_EQ(gateway.total("messages_in"), sent);
  EXPECT_GE(gateway.total("messages_out"), received);
}

// The start of a fanout run against `gateway` over `proto` (ws or tcp).
std::vector<std::string> fanout_against(const GatewayProcess& gateway, const char* proto) {
  bool ws = std::string(proto) == "ws" || std::string(proto) == "sio";
  return {"fanout", "--proto", proto, ws ? "--url" : "--target",
          ws ? "ws://127.0.0.1:" + std::to_string(gateway.ws_port()) + "/"
             : "127.0.0.1:" + std::to_string(gateway.tcp_port())};
}

// fanout over WebSocket and raw TCP: every delivery the bench counted was one the gateway
// delivered, none lost, duplicated or reordered; 4 shards, 2 rooms, members on both.
void expect_fanout_counts_agree(const char* proto) {
  GatewayProcess gateway({"--shards", "4"});
  ASSERT_TRUE(gateway.started());
  std::vector<std::string> args = fanout_against(gateway, proto);
  args.insert(args.end(),
              {"--rooms", "2", "--pubs", "4", "--members", "60", "--size", "40", "--pipeline", "4",
               "--duration", "1", "--warmup", "0.3", "--threads", "2"});
  ProcessResult r;
  std::string out;
  run_clean(args, r, out);
  if (::testing::Test::HasFatalFailure()) return;
  uint64_t published = json_number(out, "total_sent");
  uint64_t delivered = json_number(out, "total_received");
  EXPECT_GT(json_number(out, "messages"), 1000u);
  ASSERT_EQ(gateway.stop(SIGTERM, 5s), 0);
  EXPECT_EQ(gateway.total("seq_jumps"), 0u);
  // Every delivery the bench counted, the gateway made; the gateway delivered each publish
  // to at most its room's 30 members; it took no publish the bench did not send. (How many
  // were still on their way when the run ended depends on the machine's speed.)
  uint64_t server_delivered = gateway.total("delivered");
  uint64_t server_published = gateway.total("published");
  EXPECT_GE(server_delivered, delivered);
  EXPECT_LE(server_delivered, server_published * 30u);
  EXPECT_LE(server_published, published);
}

TEST(Bench, WebSocketFanoutCountsAgreeWithTheServer) {
  expect_fanout_counts_agree("ws");
}

TEST(Bench, TcpFanoutCountsAgreeWithTheServer) {
  expect_fanout_counts_agree("tcp");
}

// The same over Socket.IO (WebSocket transport): events with offsets whose seqs the bench
// checks, acks driving the closed loop.
TEST(Bench, SocketIoFanoutCountsAgreeWithTheServer) {
  expect_fanout_counts_agree("sio");
}

// echo over Socket.IO: publish-to-ack round trips, each connection in a room of its own.
TEST(Bench, SocketIoEchoCountsAgreeWithTheServer) {
  GatewayProcess gateway({"--shards", "2"});
  ASSERT_TRUE(gateway.started());
  ProcessResult r;
  std::string out;
  run_clean({"echo", "--proto", "sio", "--url",
             "ws://127.0.0.1:" + std::to_string(gateway.ws_port()) + "/", "--conns", "20",
             "--pipeline", "2", "--duration", "1", "--warmup", "0.3"},
            r, out);
  if (::testing::Test::HasFatalFailure()) return;
  uint64_t acked = json_number(out, "total_received");
  EXPECT_GT(json_number(out, "messages"), 1000u);
  ASSERT_EQ(gateway.stop(SIGTERM, 5s), 0);
  EXPECT_GE(gateway.total("acks"), acked);    // every round trip counted was a gateway's ack
  EXPECT_EQ(gateway.total("delivered"), 0u);  // rooms of one: nobody else to deliver to
}

// Members on Engine.IO long-polling: every delivery once and in order, none lost.
TEST(Bench, SocketIoPollingMembersLoseNothing) {
  GatewayProcess gateway({"--shards", "2"});
  ASSERT_TRUE(gateway.started());
  std::vector<std::string> args = fanout_against(gateway, "sio");
  args.insert(args.end(), {"--sio-members", "polling", "--rooms", "1", "--pubs", "1", "--members",
                           "20", "--rate", "200", "--duration", "1", "--warmup", "0.3"});
  ProcessResult r;
  std::string out;
  run_clean(args, r, out);
  if (::testing::Test::HasFatalFailure()) return;
  EXPECT_GT(json_number(out, "messages"), 1000u);
  ASSERT_EQ(gateway.stop(SIGTERM, 5s), 0);
  EXPECT_EQ(gateway.total("seq_jumps"), 0u);
}

// fanout --churn: members reset their connections and come back with since/epoch, on
// whichever shard the kernel picks; every resume is recovered and no member loses,
// doubles or reorders a message (the bench counts each as an error).
void expect_churn_loses_nothing(const char* proto) {
  // History for the longest a member can be away or behind on a slow (sanitized) build:
  // a resume older than the history is refused, by design, and would fail the check.
  GatewayProcess gateway({"--shards", "4", "--history", "100000", "--history-bytes", "64MiB"});
  ASSERT_TRUE(gateway.started());
  std::vector<std::string> args = fanout_against(gateway, proto);
  args.insert(args.end(),
              {"--rooms", "2", "--pubs", "4", "--members", "60", "--rate", "4000", "--churn", "100",
               "--duration", "1.5", "--warmup", "0.3", "--threads", "2"});
  ProcessResult r;
  std::string out;
  run_clean(args, r, out);
  if (::testing::Test::HasFatalFailure()) return;
  uint64_t resumes = json_number(out, "resumes");
  EXPECT_GE(resumes, 50u) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("churn "), std::string::npos);
  ASSERT_EQ(gateway.stop(SIGTERM, 5s), 0);
  EXPECT_EQ(gateway.total("seq_jumps"), 0u);
  // Every resume answered was recovered (a connection reset again, or closed at the end of
  // the run, before its answer is counted in `resumes` only).
  EXPECT_EQ(gateway.total("unrecovered"), 0u);
  EXPECT_LE(gateway.total("recovered"), gateway.total("resumes"));
  EXPECT_GE(gateway.total("recovered"), resumes);
  EXPECT_GE(gateway.total("replayed"), json_number(out, "replayed"));
}

TEST(Bench, WebSocketChurnLosesNothing) {
  expect_churn_loses_nothing("ws");
}

TEST(Bench, TcpChurnLosesNothing) {
  expect_churn_loses_nothing("tcp");
}

TEST(Bench, WebSocketEchoCountsAgreeWithTheServer) {
  expect_counts_agree("ws");
}
TEST(Bench, TcpEchoCountsAgreeWithTheServer) {
  expect_counts_agree("tcp");
}

TEST(Bench, UdpEchoCountsAgreeWithTheServer) {
  GatewayProcess gateway({"--shards", "2"});
  ASSERT_TRUE(gateway.started());
  std::string json = temp_json();
  ProcessResult r =
      bench({"echo", "--proto", "udp", "--target",
             "127.0.0.1:" + std::to_string(gateway.udp_echo_port()), "--conns", "10", "--size",
             "64", "--pipeline", "2", "--duration", "1", "--warmup", "0.2", "--json", json});
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("lost 0"), std::string::npos) << r.stdout_text;
  std::string out = read_file(json);
  uint64_t sent = json_number(out, "total_sent");
  uint64_t received = json_number(out, "total_received");
  EXPECT_GT(json_number(out, "messages"), 1000u);
  EXPECT_LE(sent - received, 10u * 2u);
  ASSERT_EQ(gateway.stop(SIGTERM, 5s), 0);
  EXPECT_EQ(gateway.total("udp_rx"), sent) << "every datagram sent reached the gateway";
  EXPECT_GE(gateway.total("udp_tx"), received);
  unlink(json.c_str());
}

// fanout --proto raw against ringgate's raw rooms: every frame a receiver counted, the
// gateway delivered; the window kept every publish going to every receiver (a lost one
// stalls it: an error); open loop keeps its rate.
TEST(Bench, RawFanoutCountsAgreeWithTheServer) {
  GatewayProcess gateway({"--shards", "2"});
  ASSERT_TRUE(gateway.started());
  std::string url = "ws://127.0.0.1:" + std::to_string(gateway.ws_port()) + "/raw/";
  ProcessResult r;
  std::string out;
  run_clean({"fanout", "--proto", "raw", "--url", url, "--members", "40", "--pubs", "2", "--rooms",
             "2", "--pipeline", "4", "--duration", "1", "--warmup", "0.3", "--threads", "2"},
            r, out);
  if (::testing::Test::HasFatalFailure()) return;
  uint64_t delivered = json_number(out, "total_received");
  EXPECT_GT(json_number(out, "messages"), 1000u);
  std::string open_loop;
  run_clean({"fanout", "--proto", "raw", "--url", url, "--members", "20", "--pubs", "2", "--rate",
             "400", "--duration", "1", "--warmup", "0.3"},
            r, open_loop);
  if (::testing::Test::HasFatalFailure()) return;
  // 400 publishes/s, each to the 20 members and the other publisher.
  EXPECT_NEAR(static_cast<double>(json_number(open_loop, "rate")), 400.0 * 21, 400.0 * 21 * 0.2);
  ASSERT_EQ(gateway.stop(SIGTERM, 5s), 0);
  // Every delivery counted came from the gateway (the probes are deliveries the bench does
  // not count).
  EXPECT_GE(gateway.total("delivered"), delivered + json_number(open_loop, "total_received"));
}

// fanout --ckeys with slow members against --slow-consumer=conflate: the gateway replaces
// messages for the slow members, and every seq a member misses is one the gateway told it
// was replaced (a gap not told is a loss, and the run an error).
TEST(Bench, ConflatedMessagesAreToldNotLost) {
  GatewayProcess gateway({"--shards", "2", "--slow-consumer", "conflate", "--max-outbuf", "32KiB",
                          "--sndbuf", "16KiB"});
  ASSERT_TRUE(gateway.started());
  ProcessResult r;
  std::string out;
  run_clean({"fanout",
             "--proto",
             "ws",
             "--url",
             "ws://127.0.0.1:" + std::to_string(gateway.ws_port()) + "/",
             "--members",
             "20",
             "--pubs",
             "2",
             "--rate",
             "4000",
             "--size",
             "512",
             "--ckeys",
             "20",
             "--slow-members",
             "10",
             "--duration",
             "2.5",
             "--warmup",
             "0.3"},
            r, out);
  if (::testing::Test::HasFatalFailure()) return;
  EXPECT_GT(json_number(out, "conflated"), 0u) << "no conflated notice reached a slow member";
  ASSERT_EQ(gateway.stop(SIGTERM, 5s), 0);
  EXPECT_GT(gateway.total("conflated"), 0u) << "the slow members were not slow";
  EXPECT_EQ(gateway.total("slow_closed"), 0u);
  EXPECT_GE(gateway.total("conflated"), json_number(out, "conflated"));
}

TEST(Bench, OpenLoopKeepsItsRate) {
  GatewayProcess gateway({"--shards", "1"});
  ASSERT_TRUE(gateway.started());
  std::string json = temp_json();
  ProcessResult r = bench(
      {"echo", "--url", "ws://127.0.0.1:" + std::to_string(gateway.ws_port()) + "/echo", "--conns",
       "10", "--rate", "5000", "--duration", "1.5", "--warmup", "0.3", "--json", json});
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("rate=5,000/s (open loop)"), std::string::npos) << r.stdout_text;
  double rate = static_cast<double>(json_number(read_file(json), "rate"));
  EXPECT_NEAR(rate, 5000, 750) << "a schedule, not as fast as the server answers";
  unlink(json.c_str());
}

TEST(Bench, ConnectHoldsConnectionsAndMeasuresServerMemory) {
  GatewayProcess gateway({"--shards", "1"});
  ASSERT_TRUE(gateway.started());
  ProcessResult r =
      bench({"connect", "--url", "ws://127.0.0.1:" + std::to_string(gateway.ws_port()) + "/echo",
             "--conns", "200", "--duration", "0.5", "--warmup", "0", "--server-pid",
             std::to_string(gateway.pid())});
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("200 of 200 open at the end"), std::string::npos) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("KiB per connection"), std::string::npos) << r.stdout_text;
}

TEST(Bench, RefusedConnectionIsAClearError) {
  uint16_t port = 0;
  ::close(listen_loopback(port));  // a port nobody listens on
  ProcessResult r =
      bench({"echo", "--proto", "tcp", "--target", "127.0.0.1:" + std::to_string(port), "--conns",
             "3", "--duration", "5", "--warmup", "0"});
  ASSERT_TRUE(r.exited);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.stdout_text.find("cannot connect: Connection refused"), std::string::npos)
      << r.stdout_text;
}

TEST(Bench, FailedHandshakeIsAClearError) {
  GatewayProcess gateway;
  ASSERT_TRUE(gateway.started());
  ProcessResult r =
      bench({"echo", "--url", "ws://127.0.0.1:" + std::to_string(gateway.ws_port()) + "/nowhere",
             "--conns", "2", "--duration", "3", "--warmup", "0"});
  ASSERT_TRUE(r.exited);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.stdout_text.find("handshake failed: the server answered HTTP/1.1 404"),
            std::string::npos)
      << r.stdout_text;
}

TEST(Bench, ServerClosingMidRunIsReported) {
  GatewayProcess gateway({"--shards", "1"});
  ASSERT_TRUE(gateway.started());
  std::thread killer([&] {
    std::this_thread::sleep_for(800ms);
    gateway.stop(SIGTERM, 5s);
  });
  ProcessResult r =
      bench({"echo", "--url", "ws://127.0.0.1:" + std::to_string(gateway.ws_port()) + "/echo",
             "--conns", "5", "--duration", "2", "--warmup", "0"});
  killer.join();
  ASSERT_TRUE(r.exited);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.stdout_text.find("ERRORS"), std::string::npos) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("closed a connection during the run"), std::string::npos)
      << r.stdout_text;
}

// A raw TCP echo server that misbehaves on purpose with the 10th frame of each connection.
class FaultyEchoServer {
 public:
  enum class Fault { kDrop, kDuplicate, kReorder };
  explicit FaultyEchoServer(Fault fault) : fault_(fault) {
    fd_ = listen_loopback(port_);
    thread_ = std::thread([this] { serve(); });
  }
  ~FaultyEchoServer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  uint16_t port() const { return port_; }

 private:
  void serve() {
    int c = accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    timeval tv{0, 200000};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string held;
    for (int n = 1; !stop_; ++n) {
      char header[4];
      if (!read_exact(c, header, 4)) {
        if (stop_) break;
        continue;
      }
      uint32_t len;
      std::memcpy(&len, header, 4);
      std::string frame(header, 4);
      frame.resize(4 + len);
      if (!read_exact(c, frame.data() + 4, len)) break;
      if (n == 10 && fault_ == Fault::kDrop) continue;
      if (n == 10 && fault_ == Fault::kReorder) {
        held = frame;
        continue;
      }
      send_all(c, frame.data(), frame.size());
      if (n == 10 && fault_ == Fault::kDuplicate) send_all(c, frame.data(), frame.size());
      if (!held.empty()) {
        send_all(c, held.data(), held.size());
        held.clear();
      }
    }
    ::close(c);
  }
  Fault fault_;
  int fd_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class BenchAccounting : public ::testing::TestWithParam<FaultyEchoServer::Fault> {};

TEST_P(BenchAccounting, LostDuplicatedOrReorderedEchoesAreErrors) {
  FaultyEchoServer server(GetParam());
  // Pipeline 2 so that a lost echo does not simply stall the connection.
  ProcessResult r = bench({"echo", "--proto", "tcp", "--target",
                           "127.0.0.1:" + std::to_string(server.port()), "--conns", "1", "--size",
                           "16", "--pipeline", "2", "--duration", "1", "--warmup", "0"});
  ASSERT_TRUE(r.exited);
  EXPECT_EQ(r.exit_code, 1) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("wrong echo 1"), std::string::npos) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("out of order, lost or duplicated"), std::string::npos)
      << r.stdout_text;
}

INSTANTIATE_TEST_SUITE_P(Faults, BenchAccounting,
                         ::testing::Values(FaultyEchoServer::Fault::kDrop,
                                           FaultyEchoServer::Fault::kDuplicate,
                                           FaultyEchoServer::Fault::kReorder));

// A stand-in for the gateway's raw TCP port that speaks the binary envelope and gets one
// delivery wrong on purpose: the 10th message of the room is dropped, sent twice, sent
// after the 11th, or skipped with a gap notice (what --slow-consumer=drop does).
class FaultyFanoutGateway {
 public:
  enum class Fault { kDrop, kDuplicate, kReorder, kGap };
  explicit FaultyFanoutGateway(Fault fault) : fault_(fault) {
    fd_ = listen_loopback(port_, SOCK_NONBLOCK);
    thread_ = std::thread([this] { serve(); });
  }
  ~FaultyFanoutGateway() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }

 private:
  struct Client {
    int fd;
    proto::LengthPrefixedParser parser{1 << 20};
    bool member = false;
  };

  static void send_frame(int fd, std::span<const std::byte> envelope) {
    std::string frame(4 + envelope.size(), '\0');
    uint32_t n = static_cast<uint32_t>(envelope.size());
    std::memcpy(frame.data(), &n, 4);
    std::memcpy(frame.data() + 4, envelope.data(), envelope.size());
    send_all(fd, frame.data(), frame.size());
  }

  void deliver(std::vector<std::unique_ptr<Client>>& clients, std::string_view room, uint64_t seq,
               std::string_view data) {
    std::vector<std::byte> msg(proto::bin::msg_size(room, data.size()));
    proto::bin::write_msg(msg.data(), room, seq, data, false);
    std::byte gap[proto::bin::kMaxReplySize];
    size_t gap_size = proto::bin::write_gap(gap, room, 10, 10);
    for (auto& c : clients) {
      if (!c->member) continue;
      if (seq == 10 && fault_ != Fault::kDuplicate) continue;  // dropped, held or skipped
      if (seq == 11 && fault_ == Fault::kGap) send_frame(c->fd, {gap, gap_size});
      send_frame(c->fd, msg);
      if (seq == 10) send_frame(c->fd, msg);  // kDuplicate
      if (seq == 11 && fault_ == Fault::kReorder) send_frame(c->fd, held_);
    }
    if (seq == 10) held_ = msg;
  }

  void serve() {
    std::vector<std::unique_ptr<Client>> clients;
    uint64_t seq = 0;
    while (!stop_) {
      std::vector<pollfd> fds{{fd_, POLLIN, 0}};
      for (auto& c : clients) fds.push_back({c->fd, POLLIN, 0});
      if (poll(fds.data(), fds.size(), 50) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        int c = accept(fd_, nullptr, nullptr);
        if (c >= 0) clients.push_back(std::make_unique<Client>(Client{c}));
      }
      for (size_t i = 1; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        Client& c = *clients[i - 1];
        std::byte in[65536];
        ssize_t got = recv(c.fd, in, sizeof in, 0);
        if (got <= 0) continue;
        c.parser.feed({in, static_cast<size_t>(got)}, [&](std::span<const std::byte> frame) {
          proto::Request r;
          if (proto::bin::parse_request(frame, r)) return;
          std::byte reply[proto::bin::kMaxReplySize];
          if (r.op == proto::RequestOp::kJoin) {
            c.member = true;
            send_frame(c.fd, {reply, proto::bin::write_joined(reply, r.room, seq, "e", "0.1", false,
                                                              false, r.id)});
          } else if (r.op == proto::RequestOp::kPub) {
            ++seq;
            send_frame(c.fd, {reply, proto::bin::write_ack(reply, r.id, seq, false)});
            deliver(clients, r.room, seq, r.data);
          }
        });
      }
    }
    for (auto& c : clients) ::close(c->fd);
  }

  Fault fault_;
  int fd_;
  uint16_t port_ = 0;
  std::vector<std::byte> held_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct FanoutFaultCase {
  FaultyFanoutGateway::Fault fault;
  const char* reported;  // what the bench must say about it
};

class FanoutAccounting : public ::testing::TestWithParam<FanoutFaultCase> {};

TEST_P(FanoutAccounting, LostDuplicatedReorderedOrSkippedDeliveriesAreErrors) {
  FaultyFanoutGateway server(GetParam().fault);
  ProcessResult r =
      bench({"fanout", "--proto", "tcp", "--target", "127.0.0.1:" + std::to_string(server.port()),
             "--rooms", "1", "--pubs", "1", "--members", "2", "--size", "32", "--duration", "1",
             "--warmup", "0", "--threads", "1"});
  ASSERT_TRUE(r.exited);
  EXPECT_EQ(r.exit_code, 1) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("ERRORS"), std::string::npos) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find(GetParam().reported), std::string::npos) << r.stdout_text;
}

INSTANTIATE_TEST_SUITE_P(
    Faults, FanoutAccounting,
    ::testing::Values(
        FanoutFaultCase{FaultyFanoutGateway::Fault::kDrop, "missed sequence numbers 10..10"},
        FanoutFaultCase{FaultyFanoutGateway::Fault::kDuplicate, "got seq 10 after 10"},
        FanoutFaultCase{FaultyFanoutGateway::Fault::kReorder, "duplicated or out of order 2"},
        FanoutFaultCase{FaultyFanoutGateway::Fault::kGap, "gap notice"}));

}  // namespace
}  // namespace rg::testing
