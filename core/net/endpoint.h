#pragma once
// Listening sockets. Each shard gets its own socket on the same address (SO_REUSEPORT), so
// the kernel spreads new connections and datagrams over the shards with no shared accept
// queue and no lock.

#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace rg::core {

struct Endpoint {
  sockaddr_storage address{};
  socklen_t length = 0;

  uint16_t port() const noexcept;
  void set_port(uint16_t port) noexcept;
  // "127.0.0.1:9000" or "[::1]:9000".
  std::string to_string() const;

  // Start-up only: throws std::runtime_error when `host` does not resolve.
  static Endpoint resolve(const std::string& host, uint16_t port);
};

enum class Transport { kTcp, kUdp };

// Binds a SO_REUSEPORT socket to `endpoint` (and listens, for TCP). When the port is 0 the
// kernel's choice is written back into `endpoint`, so the next shard binds the same one.
// Start-up only: throws std::system_error naming the address.
int open_listening_socket(Endpoint& endpoint, Transport transport, int backlog = 4096);

}  // namespace rg::core
