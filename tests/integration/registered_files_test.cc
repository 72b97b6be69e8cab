// Connections whose sockets are entered in their shard's registered file table
// (--registered-files=on, core/io/fixed_files.h) and connections that name descriptors (off,
// as on a kernel without the table) behave alike through every way a connection ends,
// and slots reused by later connections name their new sockets.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>

#include <cerrno>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/gateway_process.h"

namespace rg::testing {
namespace {

using namespace std::chrono_literals;

class RegisteredFiles : public ::testing::TestWithParam<const char*> {};

TEST_P(RegisteredFiles, TheStartupLineSaysWhetherTheTableIsUsed) {
  GatewayProcess gateway({"--registered-files", GetParam(), "--max-connections", "500"});
  ASSERT_TRUE(gateway.started());
  std::string text = gateway.stderr_text();
  if (std::string(GetParam()) == "off") {
    EXPECT_NE(text.find("registered files off"), std::string::npos) << text;
  } else if (text.find("registered files not supported") == std::string::npos) {
    // --max-connections plus the refusal margin, within the descriptor limit.
    EXPECT_NE(text.find("registered files 564 per shard"), std::string::npos) << text;
  }
}

// (That a closed socket really leaves the table is APeerThatWillNotTakeItsLastBytesIsReset's
// to show: here the peer sees the same FIN either way.)
TEST_P(RegisteredFiles, EveryWayOfClosingWorksAndReusedSlotsNameTheirNewSockets) {
  GatewayProcess gateway({"--registered-files", GetParam(), "--shards", "1", "--max-frame", "1000",
                          "--idle-timeout", "0.3"});
  ASSERT_TRUE(gateway.started());
  constexpr int kRounds = 3, kEach = 8;
  for (int round = 0; round < kRounds; ++round) {
    // Slots freed by the round before are taken again (the shard reuses the newest first).
    std::vector<std::unique_ptr<FrameClient>> cut, leaving, idle;
    for (int i = 0; i < kEach; ++i) {
      for (auto* group : {&cut, &leaving, &idle}) {
        group->push_back(std::make_unique<FrameClient>(gateway.tcp_echo_port()));
        std::string hello = "r" + std::to_string(round) + " c" + std::to_string(group->size());
        ASSERT_TRUE(group->back()->send_frame(hello));
        ASSERT_EQ(group->back()->read_frame(), hello) << "round " << round;
      }
    }
    for (auto& c : cut) {
      // A protocol error: its echo first, then the server cuts it off.
      std::string wire = frame_bytes("last") + frame_bytes(std::string(1001, 'x'));
      ASSERT_TRUE(c->send_all(wire.data(), wire.size()));
      EXPECT_EQ(c->read_frame(), "last");
      EXPECT_TRUE(c->closed_by_peer(2s));
    }
    for (auto& c : leaving) c->close();
    for (auto& c : idle) EXPECT_TRUE(c->closed_by_peer(2s)) << "idle past --idle-timeout";
  }
  std::this_thread::sleep_for(200ms);
  ASSERT_EQ(gateway.stop(SIGTERM, 5s), 0);
  EXPECT_EQ(gateway.total("accepted"), uint64_t{kRounds * kEach * 3});
  EXPECT_EQ(gateway.total("closed"), uint64_t{kRounds * kEach * 3});
  EXPECT_EQ(gateway.total("protocol_errors"), uint64_t{kRounds * kEach});
  EXPECT_EQ(gateway.total("idle_timeouts"), uint64_t{kRounds * kEach});
}

// A connection closed while the kernel still holds output its peer will not take is reset
// (SO_LINGER 0 and close(2)), which throws that output away. The reset happens only when
// the socket is really closed: with registered files, only once its table entry is gone.
TEST_P(RegisteredFiles, APeerThatWillNotTakeItsLastBytesIsReset) {
  GatewayProcess gateway({"--registered-files", GetParam(), "--shards", "1", "--max-outbuf",
                          "64KiB", "--idle-timeout", "0.3", "--close-linger", "0.3"});
  ASSERT_TRUE(gateway.started());
  FrameClient stuck(gateway.tcp_echo_port());
  int small = 4096;
  setsockopt(stuck.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  timeval tv{0, 200000};
  setsockopt(stuck.fd(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  std::string frame = frame_bytes(std::string(60000, 'z'));
  for (int i = 0; i < 50 && stuck.send_all(frame.data(), frame.size()); ++i) {
  }
  // Idle past the timeout: a graceful close, which cannot flush within --close-linger.
  std::this_thread::sleep_for(1500ms);
  char buffer[65536];
  ssize_t n;
  size_t taken = 0;
  while ((n = ::recv(stuck.fd(), buffer, sizeof buffer, 0)) > 0) taken += static_cast<size_t>(n);
  EXPECT_EQ(n, -1) << "the backlog (" << taken << " bytes) was delivered and closed in order";
  EXPECT_EQ(errno, ECONNRESET);
  ASSERT_EQ(gateway.stop(SIGTERM, 5s), 0);
  EXPECT_EQ(gateway.total("close_resets"), 1u);
}

// A kernel without the sparse table (before 5.19), imitated by a seccomp filter: the
// probe notices, the start-up line says so, and connections name descriptors.
TEST(RegisteredFilesFallback, AKernelWithoutTheTableServesWithDescriptors) {
  if (run_command({WITHOUT_IO_URING, "NO_FILE_TABLE", "/bin/true"}, 10s).exit_code == 3) {
    GTEST_SKIP() << "seccomp filters are not allowed here";
  }
  GatewayProcess gateway({"--shards", "1"}, {WITHOUT_IO_URING, "NO_FILE_TABLE"});
  ASSERT_TRUE(gateway.started()) << gateway.stderr_text();
  EXPECT_NE(gateway.stderr_text().find("registered files not supported"), std::string::npos)
      << gateway.stderr_text();
  FrameClient client(gateway.tcp_echo_port());
  ASSERT_TRUE(client.send_frame("by descriptor"));
  EXPECT_EQ(client.read_frame(), "by descriptor");
  client.close();
  std::this_thread::sleep_for(100ms);
  ASSERT_EQ(gateway.stop(SIGTERM, 5s), 0);
  EXPECT_EQ(gateway.total("closed"), 1u);
}

INSTANTIATE_TEST_SUITE_P(OnAndOff, RegisteredFiles, ::testing::Values("on", "off"));

}  // namespace
}  // namespace rg::testing
