#include "gateway/transports/ws_session.h"

#include <algorithm>
#include <cstring>

#include "core/net/connection.h"
#include "core/shard/shard.h"
#include "gateway/rooms/room_hub.h"
#include "proto/envelope/binary_envelope.h"
#include "proto/envelope/json_envelope.h"
#include "proto/json_string.h"
#include "proto/ws/ws_handshake.h"

namespace rg::gateway {

using proto::WsOpcode;

WsSession::WsSession(core::Connection& conn, const WsConfig& config, WsEndpoint endpoint) noexcept
    : conn_(conn),
      config_(config),
      parser_(*this, config.max_message),
      timer_(&on_timer, this),
      counts_(conn.stats().of(endpoint == WsEndpoint::kEngineIo ? core::Protocol::kSocketIo
                                                                : core::Protocol::kWebSocket)),
      endpoint_(endpoint) {
  // A Socket.IO connection is counted by its Engine.IO session (it may poll as well).
  if (endpoint != WsEndpoint::kEngineIo) ++counts_.opened;
  if (endpoint == WsEndpoint::kEngineIo) parser_.set_max_message(config_.max_engine_io_message);
  if ((endpoint == WsEndpoint::kGateway || endpoint == WsEndpoint::kRaw) &&
      config_.hub != nullptr) {
    // The gateway protocol never needs more than --max-payload plus its envelope; a raw
    // member's frame is the data itself.
    parser_.set_max_message(endpoint == WsEndpoint::kRaw ? config_.hub->config().max_payload
                                                         : config_.max_gateway_message);
    member_ = std::make_unique<StreamMember>(conn_, core::Protocol::kWebSocket, &WsSession::cut_off,
                                             this);
    if (endpoint == WsEndpoint::kRaw) member_->drop_replies();
    config_.hub->attach(*member_);
  }
  if (config_.ping_interval_ms != 0) {
    core::Shard& shard = conn_.shard();
    shard.timers().schedule(timer_, shard.now_ms() + config_.ping_interval_ms);
  }
}

WsSession::~WsSession() {
  if (endpoint_ != WsEndpoint::kEngineIo) ++counts_.closed;
  conn_.shard().timers().cancel(timer_);
  if (WsMessageSink* sink = std::exchange(sink_, nullptr)) sink->on_ws_gone(*this);
  if (config_.unfinished != nullptr) config_.unfinished->forget(*this);
  if (member_) config_.hub->detach(*member_);
}

void WsSession::authenticated(std::shared_ptr<const proto::JwtClaims> claims) noexcept {
  if (member_) config_.hub->grant(*member_, std::move(claims));
}

void WsSession::enter_raw_room(std::string_view room) noexcept {
  if (!member_) return;
  raw_room_ = std::string(room);
  proto::Request join;
  join.op = proto::RequestOp::kJoin;
  join.room = raw_room_;
  config_.hub->handle(*member_, WireForm::kRaw, join);
}

void WsSession::on_raw_message(WsOpcode op, std::span<std::byte> payload) noexcept {
  RoomHub& hub = *config_.hub;
  if (!hub.admit(*member_, WireForm::kRaw, payload.size(), {})) return;
  proto::Request request;
  request.op = proto::RequestOp::kPub;
  request.room = raw_room_;
  std::string_view bytes(reinterpret_cast<const char*>(payload.data()), payload.size());
  if (op == WsOpcode::kText) {
    // Text travels as a JSON string (what JSON members see); raw members get it back.
    scratch_.clear();
    proto::append_json_string(scratch_, bytes);
    request.data = scratch_;
    request.data_is_json = true;
    request.raw_text = true;
  } else {
    request.data = bytes;
  }
  hub.handle(*member_, WireForm::kRaw, request);
}

void WsSession::on_bytes(core::Connection&, std::span<std::byte> bytes) noexcept {
  if (stage_ == Stage::kOpen) feed(bytes);
}

void WsSession::on_message(WsOpcode op, std::span<std::byte> payload,
                           const core::BlockRef* block) noexcept {
  ++counts_.messages_in;
  if (member_ && endpoint_ == WsEndpoint::kRaw) return on_raw_message(op, payload);
  if (member_) return on_gateway_message(op, payload);
  if (sink_ != nullptr) return sink_->on_ws_message(*this, op, payload);
  if (endpoint_ == WsEndpoint::kEngineIo || stage_ != Stage::kOpen) return;
  // /echo: the reply's header is written in front of the payload, where the client's own
  // header (or the assembly block's headroom) was, so the payload itself is not moved.
  size_t header_size = proto::server_header_size(payload.size());
  std::byte* frame = payload.data() - header_size;
  proto::encode_server_header(frame, op, payload.size());
  if (block == nullptr) {
    conn_.send_copy({frame, header_size + payload.size()});
    conn_.end_frame();
  } else {
    conn_.send_shared(*block, static_cast<size_t>(frame - (*block)->data()),
                      header_size + payload.size());
  }
  ++counts_.messages_out;
}

void WsSession::on_gateway_message(WsOpcode op, std::span<std::byte> payload) noexcept {
  RoomHub& hub = *config_.hub;
  proto::Request request;
  if (op == WsOpcode::kText) {
    // Text was checked as UTF-8 on arrival; its bytes are followed by readable padding.
    std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());
    proto::RequestError error = hub.json_parser().parse(text, request);
    if (!hub.admit(*member_, WireForm::kWsJson, payload.size(), request.id)) return;
    if (error) return hub.reply_error(*member_, WireForm::kWsJson, error, request.id);
    return hub.handle(*member_, WireForm::kWsJson, request);
  }
  proto::RequestError error = proto::bin::parse_request(payload, request);
  if (!hub.admit(*member_, WireForm::kWsBinary, payload.size(), request.id)) return;
  if (error) return hub.reply_error(*member_, WireForm::kWsBinary, error, request.id);
  hub.handle(*member_, WireForm::kWsBinary, request);
}

void WsSession::feed(std::span<std::byte> bytes) noexcept {
  uint64_t completed = parser_.messages_completed();
  parser_.feed(bytes);
  if (config_.unfinished == nullptr) return;
  bool mid = stage_ == Stage::kOpen && !parser_.done() && parser_.mid_message();
  config_.unfinished->update(*this, conn_.shard(), mid, parser_.messages_completed() != completed,
                             parser_.buffered());
}

void WsSession::send_message(WsOpcode op, std::span<const std::byte> payload) noexcept {
  if (!open()) return;
  std::byte header[proto::kMaxServerHeader];
  size_t n = proto::encode_server_header(header, op, payload.size());
  conn_.send_copy({header, n});
  conn_.send_copy(payload);
  conn_.end_frame();
  ++counts_.messages_out;
}

void WsSession::send_shared(const core::BlockRef& block, size_t offset, size_t length) noexcept {
  if (!open()) return;
  conn_.send_shared(block, offset, length);
  ++counts_.messages_out;
}

void WsSession::close(uint16_t code, std::string_view why) noexcept {
  if (stage_ != Stage::kOpen) return;
  end(code, why, false);
}

void WsSession::end(uint16_t code, std::string_view why, bool fault) noexcept {
  if (config_.unfinished != nullptr) config_.unfinished->forget(*this);
  if (stage_ == Stage::kOpen) send_close(code, why);
  stage_ = Stage::kClosed;
  parser_.stop();
  // Out of every room now: nothing more is queued behind the close frame.
  if (member_) {
    config_.hub->detach(*member_);
    member_.reset();
  }
  if (WsMessageSink* sink = std::exchange(sink_, nullptr)) sink->on_ws_gone(*this);
  if (fault) {
    conn_.fail_protocol();
  } else {
    conn_.close(core::Connection::CloseMode::kGraceful);
  }
}

void WsSession::cut_off_over_budget() noexcept {
  end(proto::ws_close::kMessageTooBig, "unfinished messages over the server's budget", true);
}

void WsSession::cut_off_too_slow() noexcept {
  end(proto::ws_close::kPolicyViolation, "message not completed in time", true);
}

void WsSession::cut_off(void* self, StreamMember::Why why) noexcept {
  auto& session = *static_cast<WsSession*>(self);
  if (session.stage_ != Stage::kOpen) return;
  using Why = StreamMember::Why;
  switch (why) {
    case Why::kSlowConsumer:
      // Its backlog is what it could not take: the close frame goes right behind the frame
      // being sent now, so the client learns why at once.
      session.conn_.discard_unsent();
      return session.end(proto::ws_close::kPolicyViolation, "slow consumer", false);
    case Why::kDisconnected:
      return session.end(proto::ws_close::kDisconnected, "disconnected by the server", false);
    case Why::kRateLimited:
      return session.end(proto::ws_close::kPolicyViolation, "rate limit exceeded", true);
    case Why::kUnauthorized:
      return session.end(proto::ws_close::kUnauthorized, "unauthorized", false);
    case Why::kExpired:
      return session.end(proto::ws_close::kTokenExpired, "token expired", false);
  }
}

void WsSession::on_ping(std::span<const std::byte> payload) noexcept {
  send_control(WsOpcode::kPong, payload);
}

void WsSession::on_pong(std::span<const std::byte>) noexcept {
  // Its arrival already counts as activity for the idle timeout.
}

void WsSession::on_close(uint16_t code, std::span<const std::byte>) noexcept {
  // Echo the code (RFC 6455 5.5.1), then close the TCP connection: the server closes first.
  if (code == proto::ws_close::kNoStatus) {
    send_control(WsOpcode::kClose, {});
  } else {
    send_close(code, "");
  }
  stage_ = Stage::kClosed;
  if (WsMessageSink* sink = std::exchange(sink_, nullptr)) sink->on_ws_gone(*this);
  conn_.close(core::Connection::CloseMode::kGraceful);
}

void WsSession::on_error(uint16_t code, const char* why) noexcept {
  core::Shard& shard = conn_.shard();
  if (shard.log_open()) {  // (no line formatted during a flood)
    shard.log(core::LogLevel::kWarn, "protocol_error",
              "WebSocket closed " + std::to_string(code) + ": " + why);
  }
  send_close(code, why);
  stage_ = Stage::kClosed;
  if (WsMessageSink* sink = std::exchange(sink_, nullptr)) sink->on_ws_gone(*this);
  conn_.fail_protocol();
}

void WsSession::on_idle(core::Connection&) noexcept {
  end(proto::ws_close::kGoingAway, "idle timeout", false);
}

void WsSession::on_shutdown(core::Connection&) noexcept {
  // A drain (or the stop after it): the close frame goes behind everything queued, so the
  // client hears 1012 after its last message and reconnects, to another gateway if the
  // load balancer has one.
  end(proto::ws_close::kServiceRestart, "service restart", false);
}

void WsSession::send_control(WsOpcode op, std::span<const std::byte> payload) noexcept {
  std::byte frame[proto::kMaxServerHeader + proto::kMaxControlPayload];
  size_t n = std::min(payload.size(), proto::kMaxControlPayload);
  size_t header = proto::encode_server_header(frame, op, n);
  if (n > 0) std::memcpy(frame + header, payload.data(), n);
  conn_.send_copy({frame, header + n});
  conn_.end_frame();
}

void WsSession::send_close(uint16_t code, std::string_view reason) noexcept {
  std::byte payload[proto::kMaxControlPayload];
  payload[0] = static_cast<std::byte>(code >> 8);
  payload[1] = static_cast<std::byte>(code);
  size_t n = std::min(reason.size(), proto::kMaxControlPayload - 2);
  std::memcpy(payload + 2, reason.data(), n);
  send_control(WsOpcode::kClose, {payload, 2 + n});
}

void WsSession::on_timer(void* self) noexcept {
  auto& session = *static_cast<WsSession*>(self);
  core::Shard& shard = session.conn_.shard();
  if (session.stage_ != Stage::kOpen || session.conn_.closing()) return;
  uint64_t quiet_since = session.conn_.last_rx_ms();
  uint64_t now = shard.now_ms();
  if (now - quiet_since >= session.config_.ping_interval_ms) {
    session.send_control(WsOpcode::kPing, {});  // the pong will count as activity
    shard.timers().schedule(session.timer_, now + session.config_.ping_interval_ms);
  } else {
    shard.timers().schedule(session.timer_, quiet_since + session.config_.ping_interval_ms);
  }
}

}  // namespace rg::gateway
