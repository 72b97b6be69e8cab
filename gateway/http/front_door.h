#pragma once
// The WebSocket port's HTTP/1.1 front door: every connection starts here. It reads
// requests in a loop (keep-alive, pipelining: answered one at a time, in order), frames
// their bodies strictly (proto/http/http_body.h), and routes them by path:
//   /            the gateway protocol over WebSocket (an upgrade)
//   /echo        a WebSocket echo (an upgrade)
//   /socket.io/  Engine.IO: long-polling requests and its WebSocket (an HttpHandler)
// Anything else is answered 404. An upgrade hands the connection to a WebSocket session
// for good; a handler may hold a request (a long-polling GET) and answer it later, and
// the requests pipelined behind it wait, their bytes bounded.
//
// Limits: the head (HttpLimits), the body (max_body, 413), the time a request may take
// to arrive (request_timeout_ms, 408), and the time a kept-alive connection may wait
// between requests (idle_timeout_ms, closed without a word as RFC 9112 9.8 allows).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/net/services.h"
#include "core/shard/timer_wheel.h"
#include "gateway/transports/ws_service.h"
#include "gateway/transports/ws_session.h"
#include "proto/http/http_body.h"
#include "proto/http/http_request.h"
#include "proto/http/http_response.h"

namespace rg::gateway {

class FrontDoor;

// A request the handler could not answer at once: told when the front door goes away
// before the answer (the client closed, or the server is stopping).
class HeldRequest {
 public:
  virtual void on_front_door_gone(FrontDoor& door) noexcept = 0;

 protected:
  ~HeldRequest() = default;
};

// Serves the requests of a path (Engine.IO's). The request and body are valid during the
// call only. The handler must, before it returns, either answer (FrontDoor::respond),
// hold (FrontDoor::hold), upgrade the connection (FrontDoor::upgrade) or hand it to
// another shard (FrontDoor::hand_off).
class HttpHandler {
 public:
  virtual void on_request(FrontDoor& door, const proto::HttpRequest& request,
                          std::string_view body) noexcept = 0;
  // A request of this path declared a body past the limit: it is answered 413 and the
  // connection closed right after this call.
  virtual void on_too_large(const proto::HttpRequest& request) noexcept { (void)request; }

 protected:
  ~HttpHandler() = default;
};

struct FrontDoorConfig {
  WsConfig ws;                       // the WebSocket sessions it upgrades to
  HttpHandler* socket_io = nullptr;  // /socket.io/ (null: 404)
  // Every request, whatever its path (the admin listener's); no WebSocket then.
  HttpHandler* everything = nullptr;
  size_t max_body = 1 << 20;            // --http-max-body
  size_t socket_io_max_body = 1000000;  // --sio-max-payload
  uint32_t request_timeout_ms = 10000;
  uint32_t idle_timeout_ms = 5000;
  // A connection that arrived from another shard (Shard::adopt) answers its first request
  // here, whatever shard a sid names: it was sent here for it.
  bool adopted = false;
};

class FrontDoor final : public core::StreamSession {
 public:
  FrontDoor(core::Connection& conn, const FrontDoorConfig& config) noexcept;
  ~FrontDoor() override;

  void on_bytes(core::Connection& conn, std::span<std::byte> bytes) noexcept override;
  void on_idle(core::Connection& conn) noexcept override;
  void on_shutdown(core::Connection& conn) noexcept override;

  // Answers the request being served (or the one held); the next pipelined one follows.
  void respond(const proto::ResponseHead& head, std::string_view body) noexcept;
  // Holds the request being served until respond(); `held` hears if the door goes first.
  void hold(HeldRequest& held) noexcept;
  // Answers the request being served (a valid WebSocket upgrade: check_upgrade_request)
  // with 101 and makes its WebSocket session; upgrade() then hands it the connection.
  std::unique_ptr<WsSession> accept_websocket(const proto::HttpRequest& request,
                                              WsEndpoint endpoint) noexcept;
  // The connection becomes `session`'s (a WebSocket), which gets the bytes that followed
  // the request.
  void upgrade(std::unique_ptr<core::StreamSession> session) noexcept;
  // The connection, with the request being served and everything behind it, goes to
  // shard `shard`, whose front door serves the request again (via `hand_off` callback).
  using HandOff = void (*)(void* context, unsigned shard, int fd,
                           std::vector<std::byte> carried) noexcept;
  void hand_off(unsigned shard, HandOff done, void* context) noexcept;

  core::Connection& connection() noexcept { return conn_; }
  bool adopted() const noexcept { return config_.adopted && served_ == 0; }

 private:
  enum class Phase : uint8_t {
    kRequests,  // reading and answering requests
    kHeld,      // a request is held; later ones wait in in_
    kUpgraded,  // upgraded_ has the connection
    kGone,      // closed, failed or handed off: nothing more is read
  };

  // Serves every complete request in in_, in order, until one is held or more is needed.
  void serve() noexcept;
  // One request whose head is complete; false when more bytes are needed.
  bool serve_one() noexcept;
  void dispatch(const proto::HttpRequest& request, std::string_view body) noexcept;
  // `raw_room`: /raw/<room> (a valid room name), else empty.
  void upgrade_to_websocket(const proto::HttpRequest& request, bool gateway,
                            std::string_view raw_room = {}) noexcept;
  // Answers `status` with `why` and closes: the rest of the input cannot be trusted.
  void refuse(int status, std::string_view why) noexcept;
  void finish_request() noexcept;
  void arm_timer(uint32_t ms) noexcept;
  static void on_timer(void* self) noexcept;

  core::Connection& conn_;
  const FrontDoorConfig& config_;
  Phase phase_ = Phase::kRequests;
  std::string in_;        // received bytes not yet served (a request and what follows it)
  size_t head_size_ = 0;  // of the request at the start of in_, once complete
  proto::BodyFraming framing_;
  proto::ChunkedDecoder chunked_;
  size_t chunked_scanned_ = 0;  // bytes after the head fed to chunked_
  std::string body_;            // a chunked body, decoded
  bool continue_sent_ = false;  // "100 Continue" was answered to this request's Expect
  bool keep_alive_ = true;
  uint64_t served_ = 0;  // requests answered on this connection
  size_t consumed_ = 0;  // bytes of in_ that the request being served takes
  HeldRequest* held_ = nullptr;
  std::unique_ptr<core::StreamSession> upgraded_;
  core::Timer timer_;  // the request's deadline, or the keep-alive wait
  bool reads_held_ = false;
};

}  // namespace rg::gateway
