#include "core/net/endpoint.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <system_error>

namespace rg::core {

uint16_t Endpoint::port() const noexcept {
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&address)->sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port);
}

void Endpoint::set_port(uint16_t port) noexcept {
  if (address.ss_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&address)->sin6_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in*>(&address)->sin_port = htons(port);
  }
}

std::string Endpoint::to_string() const {
  char host[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&address)->sin6_addr, host,
              sizeof host);
    return "[" + std::string(host) + "]:" + std::to_string(port());
  }
  inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&address)->sin_addr, host, sizeof host);
  return std::string(host) + ":" + std::to_string(port());
}

Endpoint Endpoint::resolve(const std::string& host, uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  std::string service = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &result); rc != 0) {
    throw std::runtime_error("cannot resolve bind address '" + host + "': " + gai_strerror(rc));
  }
  Endpoint endpoint;
  std::memcpy(&endpoint.address, result->ai_addr, result->ai_addrlen);
  endpoint.length = result->ai_addrlen;
  freeaddrinfo(result);
  return endpoint;
}

int open_listening_socket(Endpoint& endpoint, Transport transport, int backlog) {
  const char* kind = transport == Transport::kTcp ? "tcp" : "udp";
  int type = (transport == Transport::kTcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC;
  int fd = socket(endpoint.address.ss_family, type, 0);
  auto fail = [&](const char* what) {
    int err = errno;
    if (fd >= 0) ::close(fd);
    throw std::system_error(err, std::generic_category(),
                            std::string(what) + " " + kind + " " + endpoint.to_string());
  };
  if (fd < 0) fail("socket");
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) fail("SO_REUSEADDR");
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) fail("SO_REUSEPORT");
  if (endpoint.address.ss_family == AF_INET6) {
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  }
  if (transport == Transport::kUdp) {
    // One UDP socket per shard takes every client's datagrams: with the default buffer
    // (about 200 KB) a burst from many clients overflows it in the kernel before the shard
    // can read (UdpRcvbufErrors). Ask for 8 MiB: beyond net.core.rmem_max only as root.
    int bytes = 8 << 20;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0) {
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
    }
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof bytes) != 0) {
      setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
    }
  }
  if (bind(fd, reinterpret_cast<const sockaddr*>(&endpoint.address), endpoint.length) < 0) {
    fail("cannot bind");
  }
  if (transport == Transport::kTcp && listen(fd, backlog) < 0) fail("cannot listen on");
  if (endpoint.port() == 0) {
    sockaddr_storage bound{};
    socklen_t length = sizeof bound;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length) < 0) fail("getsockname");
    Endpoint chosen;
    chosen.address = bound;
    chosen.length = length;
    endpoint.set_port(chosen.port());
  }
  return fd;
}

}  // namespace rg::core
