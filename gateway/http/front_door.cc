#include "gateway/http/front_door.h"

#include "core/net/connection.h"
#include "core/shard/shard.h"
#include "gateway/rooms/room_hub.h"
#include "proto/auth/jwt.h"
#include "proto/envelope/json_envelope.h"
#include "proto/http/http_query.h"
#include "proto/ws/ws_handshake.h"

namespace rg::gateway {

namespace {

enum class Route : uint8_t { kGateway, kEcho, kSocketIo, kRaw, kNotFound };

constexpr std::string_view kRawPrefix = "/raw/";

// The paths the front door serves; the query does not take part.
Route route_of(std::string_view path) noexcept {
  if (path == "/") return Route::kGateway;
  if (path == "/echo") return Route::kEcho;
  if (path == "/socket.io/" || path == "/socket.io") return Route::kSocketIo;
  if (path.starts_with(kRawPrefix)) return Route::kRaw;
  return Route::kNotFound;
}

// Whether the connection stays open after this request (RFC 9112 9.3).
bool keeps_alive(const proto::HttpRequest& request) noexcept {
  std::string_view connection = request.header("Connection");
  if (request.minor_version == 0) return proto::header_has_token(connection, "keep-alive");
  return !proto::header_has_token(connection, "close");
}

// Bytes of pipelined requests kept while one is held, before reads stop.
constexpr size_t kMaxWaitingBytes = 64 << 10;

struct HandOffTicket {
  FrontDoor::HandOff done;
  void* context;
  unsigned shard;
};

}  // namespace

FrontDoor::FrontDoor(core::Connection& conn, const FrontDoorConfig& config) noexcept
    : conn_(conn), config_(config), chunked_(config.max_body), timer_(&on_timer, this) {
  arm_timer(config_.request_timeout_ms);  // a client must send its request promptly
}

FrontDoor::~FrontDoor() {
  conn_.shard().timers().cancel(timer_);
  if (HeldRequest* held = std::exchange(held_, nullptr)) held->on_front_door_gone(*this);
}

void FrontDoor::on_bytes(core::Connection& conn, std::span<std::byte> bytes) noexcept {
  switch (phase_) {
    case Phase::kUpgraded:
      return upgraded_->on_bytes(conn, bytes);
    case Phase::kGone:
      return;
    case Phase::kHeld:
      in_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      // Pipelined requests wait behind the held one, up to a bound; then reading stops.
      if (in_.size() > kMaxWaitingBytes + config_.max_body && !reads_held_) {
        reads_held_ = true;
        conn_.hold_reads();
      }
      return;
    case Phase::kRequests:
      in_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      return serve();
  }
}

void FrontDoor::serve() noexcept {
  while (phase_ == Phase::kRequests && !in_.empty()) {
    if (!serve_one()) {
      arm_timer(config_.request_timeout_ms);  // part of a request: it must come promptly
      return;
    }
    if (phase_ == Phase::kRequests) finish_request();
  }
  if (phase_ == Phase::kRequests) arm_timer(config_.idle_timeout_ms);
}

bool FrontDoor::serve_one() noexcept {
  proto::HttpRequest request;
  proto::HttpParse parsed = proto::parse_http_request(in_, config_.ws.http, request);
  switch (parsed) {
    case proto::HttpParse::kIncomplete:
      return false;
    case proto::HttpParse::kBadRequest:
      refuse(400, "malformed HTTP request");
      return true;
    case proto::HttpParse::kUriTooLong:
      refuse(414, "request line too long");
      return true;
    case proto::HttpParse::kHeadersTooLarge:
      refuse(431, "request headers too large or too many");
      return true;
    case proto::HttpParse::kComplete:
      break;
  }
  if (head_size_ == 0) {  // a new request: how its body ends is decided once
    head_size_ = request.head_size;
    // Engine.IO's POSTs may carry up to --sio-max-payload; other paths --http-max-body.
    size_t max_body = route_of(proto::split_target(request.target).path) == Route::kSocketIo
                          ? config_.socket_io_max_body
                          : config_.max_body;
    framing_ = proto::body_framing(request, max_body);
    chunked_ = proto::ChunkedDecoder(max_body);
    chunked_scanned_ = 0;
    body_.clear();
    continue_sent_ = false;
  }
  std::string_view body;
  switch (framing_.kind) {
    case proto::BodyFraming::Kind::kRefused:
      if (framing_.status == 413 && config_.socket_io != nullptr &&
          route_of(proto::split_target(request.target).path) == Route::kSocketIo) {
        config_.socket_io->on_too_large(request);
      }
      refuse(framing_.status, framing_.why);
      return true;
    case proto::BodyFraming::Kind::kNone:
      consumed_ = head_size_;
      break;
    case proto::BodyFraming::Kind::kLength:
      if (in_.size() - head_size_ < framing_.length) {
        if (!continue_sent_ && request.minor_version == 1 &&
            proto::iequals(request.header("Expect"), "100-continue")) {
          continue_sent_ = true;
          constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
          conn_.send_copy(std::as_bytes(std::span(kContinue)));
        }
        return false;
      }
      consumed_ = head_size_ + framing_.length;
      body = std::string_view(in_).substr(head_size_, framing_.length);
      break;
    case proto::BodyFraming::Kind::kChunked: {
      auto result =
          chunked_.feed(std::string_view(in_).substr(head_size_ + chunked_scanned_), body_);
      chunked_scanned_ += result.consumed;
      if (result.status == proto::ChunkedDecoder::Status::kBad) {
        refuse(400, "malformed chunked body");
        return true;
      }
      if (result.status == proto::ChunkedDecoder::Status::kTooLarge) {
        refuse(413, "the request body is too large");
        return true;
      }
      if (result.status == proto::ChunkedDecoder::Status::kNeedMore) return false;
      consumed_ = head_size_ + chunked_scanned_;
      body = body_;
      break;
    }
  }
  keep_alive_ = keeps_alive(request);
  conn_.shard().timers().cancel(timer_);
  dispatch(request, body);
  return true;
}

void FrontDoor::dispatch(const proto::HttpRequest& request, std::string_view body) noexcept {
  if (config_.everything != nullptr) return config_.everything->on_request(*this, request, body);
  std::string_view path = proto::split_target(request.target).path;
  switch (route_of(path)) {
    case Route::kGateway:
      if (config_.ws.hub != nullptr) return upgrade_to_websocket(request, true);
      break;
    case Route::kEcho:
      return upgrade_to_websocket(request, false);
    case Route::kRaw:
      if (config_.ws.hub == nullptr) break;
      if (!proto::is_valid_room_name(path.substr(kRawPrefix.size()))) {
        proto::ResponseHead head;
        head.status = 404;
        head.content_type = "text/plain; charset=utf-8";
        return respond(head, "a raw room is /raw/<room>: 1-128 letters, digits, _ . : -\n");
      }
      return upgrade_to_websocket(request, true, path.substr(kRawPrefix.size()));
    case Route::kSocketIo:
      if (config_.socket_io != nullptr) {
        return config_.socket_io->on_request(*this, request, body);
      }
      break;
    case Route::kNotFound:
      break;
  }
  std::string_view why = "no endpoint at this path (try / or /echo)\n";
  proto::ResponseHead head;
  head.status = 404;
  head.content_type = "text/plain; charset=utf-8";
  respond(head, why);
}

void FrontDoor::upgrade_to_websocket(const proto::HttpRequest& request, bool gateway,
                                     std::string_view raw_room) noexcept {
  proto::HandshakeVerdict verdict = proto::check_upgrade_request(request);
  if (verdict.status != 101) return refuse(verdict.status, verdict.why);
  // --auth required: a token in ?token= or Authorization: Bearer is checked before the
  // upgrade (refused: 401 with a JSON error); without one, the client has until the
  // handshake timeout to send {"op":"auth","token":...} (browsers cannot set headers).
  SharedClaims claims;
  if (gateway && config_.ws.hub != nullptr && config_.ws.hub->auth_required()) {
    std::string token;
    std::string_view bearer = request.header("Authorization");
    if (bearer.size() > 7 && proto::iequals(bearer.substr(0, 7), "Bearer ")) {
      token = std::string(bearer.substr(7));
    } else if (proto::query_param(proto::split_target(request.target).query, "token", token) ==
               proto::QueryLookup::kBad) {
      token.clear();
    }
    if (!token.empty()) {
      TokenCache::Verdict verdict = config_.ws.hub->check_token(token);
      if (verdict.error != proto::JwtError::kNone) {
        bool expired = verdict.error == proto::JwtError::kExpired;
        std::string body = "{\"error\":{\"code\":\"";
        body += expired ? "token_expired" : "unauthorized";
        body += "\",\"message\":\"";
        body += proto::jwt_error_text(verdict.error);
        body += "\"}}\n";
        proto::ResponseHead head;
        head.status = 401;
        head.content_type = "application/json";
        head.headers = "WWW-Authenticate: Bearer\r\n";
        head.close = true;
        return respond(head, body);
      }
      claims = std::move(verdict.claims);
    }
  }
  WsEndpoint endpoint = !gateway           ? WsEndpoint::kEcho
                        : raw_room.empty() ? WsEndpoint::kGateway
                                           : WsEndpoint::kRaw;
  std::string room(raw_room);  // (the request's bytes go with the upgrade)
  std::unique_ptr<WsSession> ws = accept_websocket(request, endpoint);
  if (claims) ws->authenticated(std::move(claims));
  WsSession& session = *ws;
  upgrade(std::move(ws));
  if (!room.empty()) session.enter_raw_room(room);
}

std::unique_ptr<WsSession> FrontDoor::accept_websocket(const proto::HttpRequest& request,
                                                       WsEndpoint endpoint) noexcept {
  std::string response = proto::upgrade_response(request.header("Sec-WebSocket-Key"));
  conn_.send_copy(std::as_bytes(std::span(response)));
  return std::make_unique<WsSession>(conn_, config_.ws, endpoint);
}

void FrontDoor::upgrade(std::unique_ptr<core::StreamSession> session) noexcept {
  upgraded_ = std::move(session);
  phase_ = Phase::kUpgraded;
  conn_.shard().timers().cancel(timer_);
  ++served_;
  // What the client sent right behind its request (frames) is the new session's. A JSON
  // request is parsed where it lies and simdjson reads up to 64 bytes past it: the copy
  // gets that padding too (receive buffers have it already).
  std::string rest = in_.substr(consumed_);
  std::string().swap(in_);
  std::string().swap(body_);
  if (rest.empty()) return;
  size_t size = rest.size();
  rest.append(proto::kJsonPadding, ' ');
  upgraded_->on_bytes(conn_, std::span(reinterpret_cast<std::byte*>(rest.data()), size));
}

void FrontDoor::respond(const proto::ResponseHead& head, std::string_view body) noexcept {
  if (phase_ == Phase::kGone || phase_ == Phase::kUpgraded) return;
  bool was_held = phase_ == Phase::kHeld;
  if (was_held) held_ = nullptr;  // answered: its holder is done with this door
  proto::ResponseHead sent = head;
  sent.close = head.close || !keep_alive_;
  std::string out;
  proto::write_response(out, sent, body);
  conn_.send_copy(std::as_bytes(std::span(out)));
  conn_.end_frame();
  ++served_;
  if (sent.close) {
    phase_ = Phase::kGone;
    conn_.close(core::Connection::CloseMode::kGraceful);
    return;
  }
  if (was_held) {  // answered later: the requests behind it go on
    phase_ = Phase::kRequests;
    finish_request();
    if (reads_held_) {
      reads_held_ = false;
      conn_.release_reads();
    }
    serve();
  }
}

void FrontDoor::hold(HeldRequest& held) noexcept {
  held_ = &held;
  phase_ = Phase::kHeld;
}

void FrontDoor::hand_off(unsigned shard, HandOff done, void* context) noexcept {
  phase_ = Phase::kGone;
  conn_.shard().timers().cancel(timer_);
  // The request being served travels with the connection, to be read again there.
  auto* ticket = new HandOffTicket{done, context, shard};
  conn_.detach(
      [](void* context, int fd, std::vector<std::byte> carried) noexcept {
        std::unique_ptr<HandOffTicket> ticket(static_cast<HandOffTicket*>(context));
        ticket->done(ticket->context, ticket->shard, fd, std::move(carried));
      },
      ticket, std::as_bytes(std::span(in_)));
}

void FrontDoor::refuse(int status, std::string_view why) noexcept {
  phase_ = Phase::kGone;
  conn_.shard().timers().cancel(timer_);
  std::string response = proto::error_response(status, why);
  conn_.send_copy(std::as_bytes(std::span(response)));
  std::string().swap(in_);
  conn_.fail_protocol();
}

void FrontDoor::finish_request() noexcept {
  in_.erase(0, consumed_);
  consumed_ = 0;
  head_size_ = 0;
  if (in_.empty()) std::string().swap(in_);  // an idle keep-alive connection holds nothing
  std::string().swap(body_);
}

void FrontDoor::arm_timer(uint32_t ms) noexcept {
  core::Shard& shard = conn_.shard();
  shard.timers().schedule(timer_, shard.now_ms() + ms);
}

void FrontDoor::on_timer(void* self) noexcept {
  auto& door = *static_cast<FrontDoor*>(self);
  if (door.phase_ != Phase::kRequests || door.conn_.closing()) return;
  if (!door.in_.empty() || door.served_ == 0) {
    return door.refuse(408, "the request took too long");
  }
  door.phase_ = Phase::kGone;  // a kept-alive connection left waiting: closed quietly
  door.conn_.close(core::Connection::CloseMode::kGraceful);
}

void FrontDoor::on_idle(core::Connection& conn) noexcept {
  if (phase_ == Phase::kUpgraded) return upgraded_->on_idle(conn);
  if (phase_ == Phase::kHeld) return;  // a long-poll is quiet by design; its handler times it
  phase_ = Phase::kGone;
  conn_.close(core::Connection::CloseMode::kGraceful);
}

void FrontDoor::on_shutdown(core::Connection& conn) noexcept {
  if (phase_ == Phase::kUpgraded) return upgraded_->on_shutdown(conn);
  if (HeldRequest* held = std::exchange(held_, nullptr)) held->on_front_door_gone(*this);
  phase_ = Phase::kGone;
  conn_.close(core::Connection::CloseMode::kGraceful);
}

}  // namespace rg::gateway
