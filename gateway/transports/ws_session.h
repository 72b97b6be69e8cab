#pragma once
// One WebSocket connection, once the front door (gateway/http/front_door.h) has answered
// its upgrade request: its frames.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/io/byte_block.h"
#include "core/net/services.h"
#include "core/shard/shard_stats.h"
#include "core/shard/timer_wheel.h"
#include "gateway/transports/stream_member.h"
#include "gateway/transports/unfinished_messages.h"
#include "gateway/transports/ws_service.h"
#include "proto/auth/jwt.h"
#include "proto/ws/ws_frame.h"
#include "proto/ws/ws_parser.h"

namespace rg::gateway {

enum class WsEndpoint : uint8_t {
  kGateway,   // /: the gateway protocol, the connection a member of rooms
  kEcho,      // /echo: every message back to its sender
  kEngineIo,  // /socket.io/: frames go to a WsMessageSink (an Engine.IO session)
  kRaw,       // /raw/<room>: a member of one room, every frame a publish of its payload
};

class WsSession;

// Takes the messages of a WebSocket that carries another protocol (Engine.IO).
class WsMessageSink {
 public:
  // A whole message (text: valid UTF-8, followed by readable padding, see ws_parser.h).
  virtual void on_ws_message(WsSession& ws, proto::WsOpcode op,
                             std::span<std::byte> payload) noexcept = 0;
  // The WebSocket is going (closed by either side, cut off, or the server stopping):
  // nothing more may be sent on it. Called once, unless the sink was released first.
  virtual void on_ws_gone(WsSession& ws) noexcept = 0;

 protected:
  ~WsMessageSink() = default;
};

class WsSession final : public core::StreamSession, private UnfinishedMessages::Holder {
 public:
  // The 101 response has been queued already. kEngineIo: set_sink() before any bytes.
  WsSession(core::Connection& conn, const WsConfig& config, WsEndpoint endpoint) noexcept;
  ~WsSession() override;

  void on_bytes(core::Connection& conn, std::span<std::byte> bytes) noexcept override;
  // --auth: the upgrade carried a valid token (its member needs no auth frame).
  void authenticated(std::shared_ptr<const proto::JwtClaims> claims) noexcept;
  // kRaw: the connection joins `room` now (a valid room name), before any frame.
  void enter_raw_room(std::string_view room) noexcept;
  void on_idle(core::Connection& conn) noexcept override;
  void on_shutdown(core::Connection& conn) noexcept override;

  // The frame parser's handler interface (see proto/ws_parser.h).
  void on_message(proto::WsOpcode op, std::span<std::byte> payload,
                  const core::BlockRef* block) noexcept;
  void on_ping(std::span<const std::byte> payload) noexcept;
  void on_pong(std::span<const std::byte> payload) noexcept;
  void on_close(uint16_t code, std::span<const std::byte> reason) noexcept;
  void on_error(uint16_t code, const char* why) noexcept;

  // For a sink: sends one message; a frame of a room message already encoded; closes
  // with `code` (what is queued still goes first). After close(), nothing more is sent.
  void send_message(proto::WsOpcode op, std::span<const std::byte> payload) noexcept;
  void send_shared(const core::BlockRef& block, size_t offset, size_t length) noexcept;
  void close(uint16_t code, std::string_view why) noexcept;
  // kEngineIo: who takes the messages from now on (null: the sink went away first).
  void set_sink(WsMessageSink* sink) noexcept { sink_ = sink; }
  bool open() const noexcept { return stage_ == Stage::kOpen && !conn_.closing(); }
  size_t backlog_bytes() const noexcept { return conn_.backlog_bytes(); }
  core::Connection& connection() noexcept { return conn_; }

 private:
  enum class Stage : uint8_t { kOpen, kClosed };

  void send_control(proto::WsOpcode op, std::span<const std::byte> payload) noexcept;
  void send_close(uint16_t code, std::string_view reason) noexcept;
  static void on_timer(void* self) noexcept;
  // StreamMember's cut-off: the close code that says why, then the close.
  static void cut_off(void* self, StreamMember::Why why) noexcept;
  void on_gateway_message(proto::WsOpcode op, std::span<std::byte> payload) noexcept;
  void on_raw_message(proto::WsOpcode op, std::span<std::byte> payload) noexcept;
  // Frames, through the parser; then the shard learns whether a message is left unfinished.
  void feed(std::span<std::byte> bytes) noexcept;
  // Says why with a close frame, leaves every room, parses nothing more and closes
  // gracefully (what is queued, then the close frame, still goes out). `fault`: the client
  // broke a rule, counted as a protocol error.
  void end(uint16_t code, std::string_view why, bool fault) noexcept;
  // UnfinishedMessages::Holder
  void cut_off_over_budget() noexcept override;
  void cut_off_too_slow() noexcept override;

  core::Connection& conn_;
  const WsConfig& config_;
  Stage stage_ = Stage::kOpen;
  proto::WsParser<WsSession> parser_;
  core::Timer timer_;            // the ping interval
  core::ProtocolStats& counts_;  // its protocol's, in its shard's stats
  // On path / only: the connection as a room member (echo connections do without it).
  std::unique_ptr<StreamMember> member_;
  std::string raw_room_;  // kRaw: the room every frame is published to
  std::string scratch_;   // kRaw: a text frame as a JSON string
  WsEndpoint endpoint_;
  WsMessageSink* sink_ = nullptr;  // kEngineIo: who takes the messages
};

}  // namespace rg::gateway
