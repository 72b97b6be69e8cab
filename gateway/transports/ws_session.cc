#include "gateway/transports/ws_session.h"

#include <algorithm>
#include <cstring>

#include "core/connection.h"
#include "core/shard.h"
#include "gateway/rooms/room_hub.h"
#include "proto/envelope/binary_envelope.h"
#include "proto/envelope/json_envelope.h"
#include "proto/ws/ws_handshake.h"

namespace rg::gateway {

using proto::WsOpcode;

std::unique_ptr<core::StreamSession> WsService::open(core::Connection& conn) noexcept {
  return std::make_unique<WsSession>(conn, config_);
}

WsSession::WsSession(core::Connection& conn, const WsConfig& config) noexcept
    : conn_(conn), config_(config), parser_(*this, config.max_message), timer_(&on_timer, this) {
  // A client that never completes its request must not hold the slot for long.
  conn_.shard().timers().schedule(timer_, conn_.shard().now_ms() + config_.handshake_timeout_ms);
}

WsSession::~WsSession() {
  if (config_.unfinished != nullptr) config_.unfinished->forget(*this);
  if (member_) config_.hub->detach(*member_);
}

void WsSession::on_bytes(core::Connection&, std::span<std::byte> bytes) noexcept {
  switch (stage_) {
    case Stage::kHandshake:
      on_request_bytes(bytes);
      break;
    case Stage::kOpen:
      feed(bytes);
      break;
    case Stage::kClosed:
      break;
  }
}

void WsSession::on_request_bytes(std::span<std::byte> bytes) noexcept {
  // Parse where the bytes lie; only a request split across reads is gathered in request_.
  bool gathered = !request_.empty();
  if (gathered) request_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  std::string_view view =
      gathered ? std::string_view(request_)
               : std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  proto::HttpRequest request;
  switch (proto::parse_http_request(view, config_.http, request)) {
    case proto::HttpParse::kIncomplete:
      if (!gathered) request_.assign(view);
      return;
    case proto::HttpParse::kBadRequest:
      return reject(400, "malformed HTTP request");
    case proto::HttpParse::kUriTooLong:
      return reject(414, "request line too long");
    case proto::HttpParse::kHeadersTooLarge:
      return reject(431, "request headers too large or too many");
    case proto::HttpParse::kComplete:
      break;
  }
  std::string_view path = proto::target_path(request.target);
  bool gateway = path == "/" && config_.hub != nullptr;
  if (!gateway && path != "/echo") {
    return reject(404, "no WebSocket endpoint at this path (try / or /echo)");
  }
  proto::HandshakeVerdict verdict = proto::check_upgrade_request(request);
  if (verdict.status != 101) return reject(verdict.status, verdict.why);

  std::string response = proto::upgrade_response(request.header("Sec-WebSocket-Key"));
  conn_.send_copy(std::as_bytes(std::span(response)));
  stage_ = Stage::kOpen;
  if (gateway) {
    // The gateway protocol never needs more than --max-payload plus its envelope.
    parser_.set_max_message(config_.max_gateway_message);
    member_ = std::make_unique<StreamMember>(conn_, &WsSession::cut_off_slow, this);
    config_.hub->attach(*member_);
  }
  core::Shard& shard = conn_.shard();
  if (config_.ping_interval_ms != 0) {
    shard.timers().schedule(timer_, shard.now_ms() + config_.ping_interval_ms);
  } else {
    shard.timers().cancel(timer_);
  }
  // Frames the client sent right behind its request, in the same read, are not lost.
  std::span<std::byte> rest =
      gathered
          ? std::span<std::byte>(reinterpret_cast<std::byte*>(request_.data()), request_.size())
          : bytes;
  rest = rest.subspan(request.head_size);
  if (!rest.empty()) {
    // A JSON request is parsed where it lies and simdjson reads up to 64 bytes past it:
    // the gathered copy gets that padding too (receive buffers have it already).
    if (gathered) {
      size_t size = rest.size();
      request_.append(proto::kJsonPadding, ' ');
      rest = std::span<std::byte>(reinterpret_cast<std::byte*>(request_.data()) + request.head_size,
                                  size);
    }
    feed(rest);
  }
  if (gathered) std::string().swap(request_);
}

void WsSession::reject(int status, std::string_view why) noexcept {
  std::string response = proto::error_response(status, why);
  conn_.send_copy(std::as_bytes(std::span(response)));
  stage_ = Stage::kClosed;
  std::string().swap(request_);
  conn_.shard().timers().cancel(timer_);
  conn_.fail_protocol();
}

void WsSession::on_message(WsOpcode op, std::span<std::byte> payload,
                           const core::BlockRef* block) noexcept {
  core::ShardStats& stats = conn_.stats();
  ++stats.messages_in;
  if (member_) return on_gateway_message(op, payload);
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
  ++stats.messages_out;
}

void WsSession::on_gateway_message(WsOpcode op, std::span<std::byte> payload) noexcept {
  RoomHub& hub = *config_.hub;
  proto::Request request;
  if (op == WsOpcode::kText) {
    // Text was checked as UTF-8 on arrival; its bytes are followed by readable padding.
    std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());
    if (proto::RequestError error = hub.json_parser().parse(text, request)) {
      return hub.reply_error(*member_, WireForm::kWsJson, error, request.id);
    }
    return hub.handle(*member_, WireForm::kWsJson, request);
  }
  if (proto::RequestError error = proto::bin::parse_request(payload, request)) {
    return hub.reply_error(*member_, WireForm::kWsBinary, error, request.id);
  }
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

void WsSession::cut_off_slow(void* self) noexcept {
  auto& session = *static_cast<WsSession*>(self);
  if (session.stage_ != Stage::kOpen) return;
  // Its backlog is what it could not take: the close frame goes right behind the frame
  // being sent now, so the client learns why at once.
  session.conn_.discard_unsent();
  session.end(proto::ws_close::kPolicyViolation, "slow consumer", false);
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
  conn_.close(core::Connection::CloseMode::kGraceful);
}

void WsSession::on_error(uint16_t code, const char* why) noexcept {
  send_close(code, why);
  stage_ = Stage::kClosed;
  conn_.fail_protocol();
}

void WsSession::on_idle(core::Connection&) noexcept {
  end(proto::ws_close::kGoingAway, "idle timeout", false);
}

void WsSession::on_shutdown(core::Connection&) noexcept {
  // Everything owed to the client is queued by now (the shards drained the bus first):
  // the close frame goes last, so the client hears 1001 after its last message.
  end(proto::ws_close::kGoingAway, "server shutting down", false);
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
  if (session.stage_ == Stage::kHandshake) {
    session.reject(408, "the WebSocket handshake took too long");
    return;
  }
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
