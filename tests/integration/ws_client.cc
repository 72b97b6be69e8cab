#include "tests/integration/ws_client.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "tests/integration/gateway_process.h"
#include "tests/support/ws_frames.h"

namespace rg::testing {

uint16_t ServerFrame::close_code() const {
  if (opcode != 0x8 || payload.size() < 2) return 0;
  return static_cast<uint16_t>(static_cast<uint8_t>(payload[0]) << 8 |
                               static_cast<uint8_t>(payload[1]));
}

std::string WsClient::upgrade_request(const std::string& path, const std::string& extra) {
  return "GET " + path +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
         extra + "\r\n";
}

WsClient::WsClient(uint16_t port, const std::string& path)
    : WsClient(port, upgrade_request(path), true) {}

WsClient::WsClient(uint16_t port, const std::string& raw_request, bool) : fd_(connect_tcp(port)) {
  if (fd_ < 0 || raw_request.empty()) return;
  if (!send_all(fd_, raw_request.data(), raw_request.size())) return;
  read_response();
}

WsClient::~WsClient() {
  if (fd_ >= 0) ::close(fd_);
}

void WsClient::read_response() {
  std::string got;
  char buf[4096];
  size_t end;
  while ((end = got.find("\r\n\r\n")) == std::string::npos) {
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return;
    got.append(buf, static_cast<size_t>(n));
  }
  head_ = got.substr(0, end + 4);
  pending_ = got.substr(end + 4);
  if (head_.rfind("HTTP/1.1 ", 0) == 0) status_ = std::stoi(head_.substr(9, 3));
}

bool WsClient::send_raw(const std::string& bytes) {
  return send_all(fd_, bytes.data(), bytes.size());
}

bool WsClient::send(const std::string& payload, uint8_t opcode, bool fin) {
  FrameSpec spec;
  spec.opcode = opcode;
  spec.fin = fin;
  return send_raw(client_frame(payload, spec));
}

std::optional<ServerFrame> WsClient::read_frame() {
  auto take = [this](void* out, size_t n) {
    size_t from_pending = std::min(n, pending_.size());
    std::memcpy(out, pending_.data(), from_pending);
    pending_.erase(0, from_pending);
    return from_pending == n ||
           read_exact(fd_, static_cast<char*>(out) + from_pending, n - from_pending);
  };
  uint8_t h[2];
  if (!take(h, 2)) return std::nullopt;
  ServerFrame f;
  f.fin = h[0] & 0x80;
  f.rsv = (h[0] >> 4) & 7;
  f.opcode = h[0] & 0x0F;
  f.masked = h[1] & 0x80;
  uint64_t n = h[1] & 0x7F;
  if (n == 126) {
    uint8_t e[2];
    if (!take(e, 2)) return std::nullopt;
    n = uint64_t{e[0]} << 8 | e[1];
  } else if (n == 127) {
    uint8_t e[8];
    if (!take(e, 8)) return std::nullopt;
    n = 0;
    for (uint8_t b : e) n = n << 8 | b;
  }
  f.payload.resize(n);
  if (n > 0 && !take(f.payload.data(), n)) return std::nullopt;
  return f;
}

int WsClient::read_close_code() {
  for (;;) {
    auto f = read_frame();
    if (!f) return -1;
    if (f->opcode == 0x9 || f->opcode == 0xA) continue;
    if (f->opcode != 0x8) continue;
    return f->payload.empty() ? 1005 : f->close_code();
  }
}

bool WsClient::tcp_closed(std::chrono::milliseconds timeout) {
  return closed_by_peer(fd_, timeout);
}

}  // namespace rg::testing
