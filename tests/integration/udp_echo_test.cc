// UDP echo on the real binary, over loopback.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/integration/gateway_process.h"

namespace rg::testing {
namespace {

using namespace std::chrono_literals;

class UdpClient {
 public:
  explicit UdpClient(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to);
    int size = 4 << 20;
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  ~UdpClient() { ::close(fd_); }
  bool send(const std::string& payload) {
    return ::send(fd_, payload.data(), payload.size(), 0) == static_cast<ssize_t>(payload.size());
  }
  std::optional<std::string> receive(int timeout_ms = 2000) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) != 1) return std::nullopt;
    std::string buf(70000, '\0');
    ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    if (n < 0) return std::nullopt;
    buf.resize(static_cast<size_t>(n));
    return buf;
  }

 private:
  int fd_;
};

TEST(UdpEcho, EveryDatagramComesBackUnchanged) {
  GatewayProcess gateway({"--shards", "2"});
  ASSERT_TRUE(gateway.started());
  UdpClient client(gateway.udp_echo_port());
  // Loopback does not lose datagrams at this pace; one at a time keeps it so.
  for (int i = 0; i < 200; ++i) {
    std::string payload = random_payload(static_cast<size_t>(i * 10), static_cast<uint32_t>(i));
    ASSERT_TRUE(client.send(payload));
    auto got = client.receive();
    ASSERT_TRUE(got.has_value()) << "datagram " << i;
    EXPECT_EQ(*got, payload);
  }
  ASSERT_EQ(gateway.stop(SIGTERM, 5s), 0);
  EXPECT_EQ(gateway.total("udp_rx"), 200u);
  EXPECT_EQ(gateway.total("udp_tx"), 200u);
}

TEST(UdpEcho, ABurstIsEchoedFromManyClients) {
  GatewayProcess gateway({"--shards", "2"});
  ASSERT_TRUE(gateway.started());
  std::vector<std::unique_ptr<UdpClient>> clients;
  for (int c = 0; c < 8; ++c)
    clients.push_back(std::make_unique<UdpClient>(gateway.udp_echo_port()));
  for (int i = 0; i < 32; ++i) {
    for (int c = 0; c < 8; ++c) ASSERT_TRUE(clients[c]->send(std::to_string(c * 1000 + i)));
  }
  int received = 0;
  for (int c = 0; c < 8; ++c) {
    for (int i = 0; i < 32; ++i) {
      auto got = clients[c]->receive(1000);
      if (!got) break;
      EXPECT_EQ(std::stoi(*got) / 1000, c) << "a reply went to the wrong client";
      ++received;
    }
  }
  EXPECT_EQ(received, 8 * 32);
}

TEST(UdpEcho, DatagramLargerThanTheLimitIsDroppedAndCounted) {
  GatewayProcess gateway({"--max-datagram", "1000", "--shards", "1"});
  ASSERT_TRUE(gateway.started());
  UdpClient client(gateway.udp_echo_port());
  ASSERT_TRUE(client.send(std::string(1001, 'x')));
  EXPECT_FALSE(client.receive(300).has_value()) << "never echo half a datagram";
  ASSERT_TRUE(client.send(std::string(1000, 'y')));
  EXPECT_EQ(client.receive(), std::string(1000, 'y'));
  ASSERT_EQ(gateway.stop(SIGTERM, 5s), 0);
  EXPECT_EQ(gateway.total("udp_dropped"), 1u);
}

}  // namespace
}  // namespace rg::testing
