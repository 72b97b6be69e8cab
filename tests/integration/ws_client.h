#pragma once
// A raw WebSocket client for conformance tests: it sends whatever bytes a test builds
// (tests/support/ws_frames.h) and reads the server's frames one by one.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace rg::testing {

struct ServerFrame {
  uint8_t opcode = 0;
  bool fin = false;
  uint8_t rsv = 0;
  bool masked = false;
  std::string payload;
  uint16_t close_code() const;  // for a close frame with a code; 0 otherwise
};

class WsClient {
 public:
  // Connects to `port`, sends the standard upgrade request for `path` and reads the
  // response head.
  explicit WsClient(uint16_t port, const std::string& path = "/echo");
  // Connects to `port` and, when `raw_request` is not empty, sends it as it is and reads
  // the response head; with an empty one the test writes the request itself.
  WsClient(uint16_t port, const std::string& raw_request, bool /*raw*/);
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  static std::string upgrade_request(const std::string& path, const std::string& extra = "");

  int status() const { return status_; }  // of the handshake response; 0 if none
  const std::string& response_head() const { return head_; }
  bool upgraded() const { return status_ == 101; }
  int fd() const { return fd_; }

  bool send_raw(const std::string& bytes);
  // Sends one masked frame.
  bool send(const std::string& payload, uint8_t opcode = 0x1, bool fin = true);
  std::optional<ServerFrame> read_frame();
  // Reads frames until a close frame arrives (skipping pings/pongs); its code, 1005 for a
  // close frame without one, or -1 if the connection ended or timed out without one.
  int read_close_code();
  // The TCP connection was closed by the server within `timeout`.
  bool tcp_closed(std::chrono::milliseconds timeout = std::chrono::seconds(5));

 private:
  void read_response();
  int fd_ = -1;
  int status_ = 0;
  std::string head_;
  std::string pending_;  // bytes read past the response head
};

}  // namespace rg::testing
