// Raw TCP echo on the real binary, over loopback.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <random>
#include <thread>

#include "tests/integration/gateway_process.h"

namespace rg::testing {
namespace {

using namespace std::chrono_literals;

TEST(TcpEcho, ManyConcurrentConnectionsOverMoreShardsThanCpus) {
  GatewayProcess gateway({"--shards", "4"});
  ASSERT_TRUE(gateway.started());
  constexpr int kConnections = 64;
  constexpr int kFrames = 200;
  constexpr int kPipeline = 8;
  std::atomic<int> failures{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kConnections; ++c) {
    clients.emplace_back([&, c] {
      FrameClient client(gateway.tcp_echo_port());
      if (!client.connected()) {
        ++failures;
        return;
      }
      std::mt19937 rng(static_cast<uint32_t>(c));
      std::vector<std::string> in_flight;
      for (int i = 0; i < kFrames; i += kPipeline) {
        in_flight.clear();
        std::string batch;  // several frames in one write: pipelined
        for (int j = 0; j < kPipeline; ++j) {
          in_flight.push_back(random_payload(rng() % 3000, rng()));
          batch += frame_bytes(in_flight.back());
        }
        if (!client.send_all(batch.data(), batch.size())) {
          ++failures;
          return;
        }
        for (const auto& expected : in_flight) {
          auto got = client.read_frame();
          if (!got || *got != expected) {
            ++failures;
            return;
          }
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_EQ(gateway.stop(SIGTERM, 5s), 0);
  auto shards = gateway.shard_stats();
  ASSERT_EQ(shards.size(), 4u);
  int busy_shards = 0;
  for (auto& s : shards) busy_shards += s["accepted"] > 0;
  EXPECT_GE(busy_shards, 2) << "SO_REUSEPORT should spread connections over shards";
  EXPECT_EQ(gateway.total("accepted"), uint64_t{kConnections});
  EXPECT_EQ(gateway.total("closed"), uint64_t{kConnections});
  EXPECT_EQ(gateway.total("messages_in"), uint64_t{kConnections} * kFrames);
  // Coalescing: fewer sendmsg calls than echoed frames.
  EXPECT_LT(gateway.total("sends"), gateway.total("messages_out"));
}

TEST(TcpEcho, ZeroLengthMaximumSizeAndByteByByteFrames) {
  GatewayProcess gateway({"--max-frame", "1MiB", "--shards", "1"});
  ASSERT_TRUE(gateway.started());
  FrameClient client(gateway.tcp_echo_port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send_frame(""));
  EXPECT_EQ(client.read_frame(), std::string());
  std::string biggest = random_payload(1 << 20, 7);
  ASSERT_TRUE(client.send_frame(biggest));
  EXPECT_EQ(client.read_frame(), biggest);
  std::string wire = frame_bytes("dribbled") + frame_bytes("");
  for (char c : wire) {
    ASSERT_TRUE(client.send_all(&c, 1));
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(client.read_frame(), "dribbled");
  EXPECT_EQ(client.read_frame(), std::string());
}

TEST(TcpEcho, OversizeFrameClosesOnlyItsOwnConnection) {
  GatewayProcess gateway({"--max-frame", "1000", "--shards", "2"});
  ASSERT_TRUE(gateway.started());
  FrameClient good(gateway.tcp_echo_port());
  FrameClient bad(gateway.tcp_echo_port());
  ASSERT_TRUE(good.send_frame("before"));
  EXPECT_EQ(good.read_frame(), "before");
  // An echo queued before the bad frame is still delivered, then the connection closes.
  std::string wire = frame_bytes("last words") + frame_bytes(std::string(1001, 'x'));
  ASSERT_TRUE(bad.send_all(wire.data(), wire.size()));
  EXPECT_EQ(bad.read_frame(), "last words");
  EXPECT_TRUE(bad.closed_by_peer());
  ASSERT_TRUE(good.send_frame(std::string(1000, 'y')));
  EXPECT_EQ(good.read_frame(), std::string(1000, 'y'));
  ASSERT_EQ(gateway.stop(SIGTERM, 5s), 0);
  EXPECT_EQ(gateway.total("protocol_errors"), 1u);
}

TEST(TcpEcho, ClientsVanishingMidFrameDoNotDisturbOthers) {
  GatewayProcess gateway({"--shards", "2"});
  ASSERT_TRUE(gateway.started());
  FrameClient steady(gateway.tcp_echo_port());
  for (int i = 0; i < 20; ++i) {
    FrameClient leaver(gateway.tcp_echo_port());
    std::string partial = frame_bytes(std::string(5000, 'p')).substr(0, 1 + i * 200);
    ASSERT_TRUE(leaver.send_all(partial.data(), partial.size()));
    if (i % 2 == 0) {
      leaver.reset();  // RST
    } else {
      leaver.close();  // FIN
    }
    ASSERT_TRUE(steady.send_frame("still here " + std::to_string(i)));
    ASSERT_EQ(steady.read_frame(), "still here " + std::to_string(i));
  }
  steady.close();
  std::this_thread::sleep_for(200ms);
  ASSERT_EQ(gateway.stop(SIGTERM, 5s), 0);
  EXPECT_EQ(gateway.total("accepted"), 21u);
  EXPECT_EQ(gateway.total("closed"), 21u) << "every vanished client's slot is released";
}

TEST(TcpEcho, IdleConnectionsAreClosedActiveOnesAreNot) {
  GatewayProcess gateway({"--idle-timeout", "0.4", "--shards", "1"});
  ASSERT_TRUE(gateway.started());
  FrameClient idle(gateway.tcp_echo_port());
  FrameClient active(gateway.tcp_echo_port());
  auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < 1200ms) {
    ASSERT_TRUE(active.send_frame("tick"));
    ASSERT_EQ(active.read_frame(), "tick") << "an active connection must not time out";
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(idle.closed_by_peer(100ms)) << "idle for 1.2 s with a 0.4 s timeout";
  ASSERT_EQ(gateway.stop(SIGTERM, 5s), 0);
  EXPECT_EQ(gateway.total("idle_timeouts"), 1u);
}

TEST(TcpEcho, ReaderThatFallsBehindIsPausedAndLosesNothing) {
  GatewayProcess gateway({"--max-outbuf", "64KiB", "--shards", "1"});
  ASSERT_TRUE(gateway.started());
  FrameClient client(gateway.tcp_echo_port());
  // Increase the client's buffers so little is held in flight by the kernel alone.
  constexpr int kFrames = 2000;
  constexpr size_t kSize = 16 * 1024;  // 32 MiB in all, far more than --max-outbuf
  std::atomic<bool> writer_ok{true};
  std::thread writer([&] {
    for (int i = 0; i < kFrames; ++i) {
      if (!client.send_frame(random_payload(kSize, static_cast<uint32_t>(i)))) {
        writer_ok = false;
        return;
      }
    }
  });
  std::this_thread::sleep_for(500ms);  // nobody reads: the gateway must stop reading too
  long rss_while_stalled = gateway.rss_kib();
  int good = 0;
  for (int i = 0; i < kFrames; ++i) {
    auto got = client.read_frame();
    if (!got) break;
    good += *got == random_payload(kSize, static_cast<uint32_t>(i));
  }
  writer.join();
  EXPECT_TRUE(writer_ok.load());
  EXPECT_EQ(good, kFrames);
  EXPECT_LT(rss_while_stalled, 200 * 1024) << "output must not grow without bound";
  ASSERT_EQ(gateway.stop(SIGTERM, 5s), 0);
  EXPECT_GT(gateway.total("recv_paused"), 0u);
}

TEST(TcpEcho, ConnectionsOverTheLimitAreClosedAtOnce) {
  GatewayProcess gateway({"--max-connections", "2", "--shards", "2"});
  ASSERT_TRUE(gateway.started());
  FrameClient a(gateway.tcp_echo_port()), b(gateway.tcp_echo_port());
  ASSERT_TRUE(a.send_frame("a"));
  ASSERT_TRUE(b.send_frame("b"));
  EXPECT_EQ(a.read_frame(), "a");
  EXPECT_EQ(b.read_frame(), "b");
  FrameClient c(gateway.tcp_echo_port());
  EXPECT_TRUE(c.closed_by_peer());
  a.close();
  std::this_thread::sleep_for(200ms);
  FrameClient d(gateway.tcp_echo_port());  // a slot is free again
  ASSERT_TRUE(d.send_frame("d"));
  EXPECT_EQ(d.read_frame(), "d");
  ASSERT_EQ(gateway.stop(SIGTERM, 5s), 0);
  EXPECT_EQ(gateway.total("rejected"), 1u);
}

// --write-delay: output after a quiet spell leaves at once; output queued within the delay
// of the last send waits for the next one and leaves with everything queued meanwhile.
TEST(TcpEcho, WriteDelayHoldsOutputBackOnlyWithinTheDelay) {
  GatewayProcess gateway({"--write-delay", "300", "--shards", "1"});
  ASSERT_TRUE(gateway.started());
  FrameClient client(gateway.tcp_echo_port());
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.send_frame("first"));
  ASSERT_EQ(client.read_frame(), "first");
  auto first = std::chrono::steady_clock::now() - start;
  EXPECT_LT(first, 250ms) << "the first echo after a quiet spell waited for the delay";
  // Within the delay: these wait, then leave in one send, in order.
  start = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(client.send_frame("burst " + std::to_string(i)));
  for (int i = 0; i < 20; ++i) ASSERT_EQ(client.read_frame(), "burst " + std::to_string(i));
  auto burst = std::chrono::steady_clock::now() - start;
  EXPECT_GT(burst, 150ms) << "output within the delay of the last send left at once";
  EXPECT_LT(burst, 3s);
  client.close();
  std::this_thread::sleep_for(100ms);
  ASSERT_EQ(gateway.stop(SIGTERM, 5s), 0);
  // One send for the first echo, one or two for the burst (it may straddle a send).
  EXPECT_LE(gateway.total("sends"), 3u);
}

TEST(TcpEcho, ListensOnIpv6Loopback) {
  int probe = socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_in6 loopback{};
  loopback.sin6_family = AF_INET6;
  loopback.sin6_addr = in6addr_loopback;
  bool have_v6 =
      probe >= 0 && bind(probe, reinterpret_cast<sockaddr*>(&loopback), sizeof loopback) == 0;
  if (probe >= 0) ::close(probe);
  if (!have_v6) GTEST_SKIP() << "no ::1 on this machine";
  GatewayProcess probe_v6({"--bind", "::1"});
  ASSERT_TRUE(probe_v6.started());
  EXPECT_EQ(probe_v6.host(), "[::1]");
  FrameClient client(probe_v6.tcp_echo_port(), "::1");
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send_frame("six"));
  EXPECT_EQ(client.read_frame(), "six");
}

}  // namespace
}  // namespace rg::testing
