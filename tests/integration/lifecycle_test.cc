// Start-up, flags, stop: the binary as an operator meets it.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "tests/integration/gateway_process.h"

namespace rg::testing {
namespace {

using namespace std::chrono_literals;

TEST(Lifecycle, StartupLineNamesEveryListener) {
  GatewayProcess gateway;
  ASSERT_TRUE(gateway.started());
  EXPECT_EQ(gateway.host(), "127.0.0.1");
  EXPECT_NE(gateway.tcp_port(), 0);
  EXPECT_NE(gateway.udp_port(), 0);
  EXPECT_NE(gateway.ws_port(), 0);
}

// --drain-timeout 0: no batches, every connection closed at once (the batched drain is
// tested in tests/integration/operations).
TEST(Lifecycle, SigtermWithoutDrainClosesConnectionsAndExitsZeroPromptly) {
  GatewayProcess gateway({"--shards", "2", "--drain-timeout", "0"});
  ASSERT_TRUE(gateway.started());
  std::vector<std::unique_ptr<FrameClient>> clients;
  for (int i = 0; i < 10; ++i) {
    clients.push_back(std::make_unique<FrameClient>(gateway.tcp_echo_port()));
    ASSERT_TRUE(clients.back()->send_frame("hi"));
    ASSERT_EQ(clients.back()->read_frame(), "hi");
  }
  auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(gateway.stop(SIGTERM, 3s), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2500ms);
  for (auto& c : clients) EXPECT_TRUE(c->closed_by_peer(1s));
  EXPECT_NE(gateway.stderr_text().find("SIGTERM received"), std::string::npos);
}

TEST(Lifecycle, SigintStopsEvenWithAPeerThatNeverReads) {
  GatewayProcess gateway({"--shards", "1", "--max-outbuf", "64KiB"});
  ASSERT_TRUE(gateway.started());
  FrameClient stuck(gateway.tcp_echo_port());
  int small = 4096;
  setsockopt(stuck.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  std::string frame = frame_bytes(std::string(60000, 'z'));
  for (int i = 0; i < 50; ++i) {
    // Echoes pile up: the graceful close cannot flush and must give up on its own.
    timeval tv{0, 200000};
    setsockopt(stuck.fd(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (!stuck.send_all(frame.data(), frame.size())) break;
  }
  auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(gateway.stop(SIGINT, 4s), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST(Lifecycle, BadFlagIsAOneLineErrorWithExitCode2) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"--shards", "lots"}, {"--tcp-port", "65536"}, {"--frobnicate"}}) {
    args.insert(args.begin(), ringgate_binary());
    ProcessResult r = run_command(args, 10s);
    ASSERT_TRUE(r.exited);
    EXPECT_EQ(r.exit_code, 2) << args[1];
    EXPECT_EQ(std::count(r.stderr_text.begin(), r.stderr_text.end(), '\n'), 1) << r.stderr_text;
    EXPECT_EQ(r.stderr_text.rfind("ringgate: ", 0), 0u) << r.stderr_text;
  }
}

TEST(Lifecycle, HelpDocumentsEveryFlag) {
  ProcessResult r = run_command({ringgate_binary(), "--help"}, 10s);
  ASSERT_TRUE(r.exited);
  EXPECT_EQ(r.exit_code, 0);
  for (const char* flag : {"--bind", "--tcp-port", "--udp-port", "--ws-port", "--admin-port",
                           "--shards", "--max-frame", "--max-connections"}) {
    EXPECT_NE(r.stdout_text.find(flag), std::string::npos) << flag;
  }
}

TEST(Lifecycle, PortInUseIsAClearError) {
  GatewayProcess first;
  ASSERT_TRUE(first.started());
  // Another process with SO_REUSEPORT can share the port only as the same user; a plain
  // listener without SO_REUSEPORT blocks it.
  uint16_t port = 0;
  int blocker = listen_loopback(port);
  ASSERT_GE(blocker, 0);
  ProcessResult r =
      run_command({ringgate_binary(), "--tcp-port", std::to_string(port), "--udp-port", "0"}, 10s);
  ::close(blocker);
  ASSERT_TRUE(r.exited);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.stderr_text.find("cannot bind tcp 127.0.0.1:"), std::string::npos) << r.stderr_text;
}

TEST(Lifecycle, UsesMimallocUnlessASanitizerOwnsMalloc) {
  GatewayProcess gateway;
  ASSERT_TRUE(gateway.started());
  // The start-up line is on stdout; the description line on stderr is read by another
  // thread and may arrive a moment later.
  std::string err = gateway.stderr_text();
  for (int i = 0; i < 200 && err.find("allocator ") == std::string::npos; ++i) {
    std::this_thread::sleep_for(10ms);
    err = gateway.stderr_text();
  }
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  EXPECT_NE(err.find("allocator system"), std::string::npos) << err;
#else
  EXPECT_NE(err.find("allocator mimalloc"), std::string::npos) << err;
#endif
}

class WithoutIoUring : public ::testing::TestWithParam<const char*> {};

TEST_P(WithoutIoUring, ExitsWithAMessageThatSaysWhatToDo) {
  ProcessResult r = run_command(
      {WITHOUT_IO_URING, GetParam(), ringgate_binary(), "--tcp-port", "0", "--udp-port", "0"}, 10s);
  ASSERT_TRUE(r.exited);
  if (r.exit_code == 3) GTEST_SKIP() << "seccomp filters are not allowed here";
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.stderr_text.find("io_uring_setup()"), std::string::npos) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("seccomp"), std::string::npos) << r.stderr_text;
  EXPECT_EQ(r.stdout_text.find("ringgate listening"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(SeccompErrors, WithoutIoUring, ::testing::Values("ENOSYS", "EPERM"));

}  // namespace
}  // namespace rg::testing
