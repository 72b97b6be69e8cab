#include "gateway/transports/tcp_gateway.h"

#include "core/net/connection.h"
#include "core/shard/shard_stats.h"
#include "gateway/rooms/room_hub.h"
#include "gateway/transports/stream_member.h"
#include "gateway/transports/unfinished_messages.h"
#include "proto/envelope/binary_envelope.h"
#include "proto/envelope/length_prefixed.h"

namespace rg::gateway {

namespace {

class TcpGatewaySession final : public core::StreamSession, private UnfinishedMessages::Holder {
 public:
  TcpGatewaySession(core::Connection& conn, RoomHub& hub, UnfinishedMessages* unfinished,
                    uint32_t max_frame) noexcept
      : conn_(conn),
        hub_(hub),
        unfinished_(unfinished),
        parser_(max_frame),
        member_(conn, core::Protocol::kTcp, &TcpGatewaySession::cut_off, this) {
    hub_.attach(member_);
    ++conn.stats().of(core::Protocol::kTcp).opened;
  }
  ~TcpGatewaySession() override {
    ++conn_.stats().of(core::Protocol::kTcp).closed;
    if (unfinished_ != nullptr) unfinished_->forget(*this);
    hub_.detach(member_);  // a no-op if end() did it already
  }

  void on_bytes(core::Connection& conn, std::span<std::byte> bytes) noexcept override {
    if (conn.closing()) return;
    uint64_t completed = parser_.frames_completed();
    parse(conn, bytes);
    if (unfinished_ != nullptr) {
      unfinished_->update(*this, conn.shard(), !conn.closing() && parser_.mid_frame(),
                          parser_.frames_completed() != completed, parser_.held_bytes());
    }
  }

 private:
  void parse(core::Connection& conn, std::span<std::byte> bytes) noexcept {
    core::ProtocolStats& counts = conn.stats().of(core::Protocol::kTcp);
    proto::FrameError error = parser_.feed(bytes, [&](std::span<const std::byte> frame) {
      ++counts.messages_in;
      if (conn.closing()) return;  // (cut off by an earlier frame of this read)
      proto::Request request;
      proto::RequestError e = proto::bin::parse_request(frame, request);
      if (!hub_.admit(member_, WireForm::kTcp, frame.size(), request.id)) return;
      if (e) return hub_.reply_error(member_, WireForm::kTcp, e, request.id);
      hub_.handle(member_, WireForm::kTcp, request);
    });
    if (error != proto::FrameError::kNone && !conn.closing()) {
      // The stream has lost its framing: nothing after this can be trusted.
      hub_.reply_error(member_, WireForm::kTcp,
                       {proto::ErrorCode::kTooLarge, "frame longer than --max-frame"}, {});
      conn.fail_protocol();
    }
  }

  // A drain: the `draining` error goes behind everything queued, then the close.
  void on_shutdown(core::Connection&) noexcept override {
    end(proto::ErrorCode::kDraining, "server draining: reconnect", false);
  }

  static void cut_off(void* self, StreamMember::Why why) noexcept {
    auto& session = *static_cast<TcpGatewaySession*>(self);
    using Why = StreamMember::Why;
    switch (why) {
      case Why::kSlowConsumer:
        // Its backlog is what it could not take: the error goes right behind the frame in
        // flight.
        if (!session.conn_.closing()) session.conn_.discard_unsent();
        return session.end(proto::ErrorCode::kSlowConsumer, "slow consumer", false);
      case Why::kDisconnected:
        return session.end(proto::ErrorCode::kDisconnected, "disconnected by the server", false);
      case Why::kRateLimited:
        return session.end(proto::ErrorCode::kRateLimited, "rate limit exceeded for too long",
                           true);
      case Why::kUnauthorized:
        return session.end(proto::ErrorCode::kUnauthorized, "no valid token", false);
      case Why::kExpired:
        return session.end(proto::ErrorCode::kTokenExpired, "the token expired", false);
    }
  }

  // Says why in the protocol's error, leaves every room (nothing more is queued behind
  // the error) and closes gracefully. `fault`: the client broke a rule, counted as a
  // protocol error.
  void end(proto::ErrorCode code, const char* why, bool fault) noexcept {
    if (unfinished_ != nullptr) unfinished_->forget(*this);
    if (conn_.closing()) return;
    hub_.reply_error(member_, WireForm::kTcp, {code, why}, {});
    hub_.detach(member_);
    if (fault) {
      conn_.fail_protocol();
    } else {
      conn_.close(core::Connection::CloseMode::kGraceful);
    }
  }
  void cut_off_over_budget() noexcept override {
    end(proto::ErrorCode::kTooLarge, "unfinished frames over the server's budget", true);
  }
  void cut_off_too_slow() noexcept override {
    end(proto::ErrorCode::kTimeout, "frame not completed in time", true);
  }

  core::Connection& conn_;
  RoomHub& hub_;
  UnfinishedMessages* unfinished_;
  proto::LengthPrefixedParser parser_;
  StreamMember member_;
};

}  // namespace

TcpGatewayService::TcpGatewayService(RoomHub& hub, UnfinishedMessages* unfinished,
                                     uint32_t max_frame) noexcept
    : hub_(hub), unfinished_(unfinished), max_frame_(max_frame) {
  std::byte frame[proto::LengthPrefixedParser::kHeaderSize + proto::bin::kMaxReplySize];
  size_t n = proto::bin::write_error(frame + proto::LengthPrefixedParser::kHeaderSize,
                                     proto::ErrorCode::kBusy, "too many connections", {});
  proto::LengthPrefixedParser::write_header(frame, static_cast<uint32_t>(n));
  refusal_.assign(reinterpret_cast<const char*>(frame),
                  proto::LengthPrefixedParser::kHeaderSize + n);
}

std::unique_ptr<core::StreamSession> TcpGatewayService::open(core::Connection& conn) noexcept {
  return std::make_unique<TcpGatewaySession>(conn, hub_, unfinished_, max_frame_);
}

}  // namespace rg::gateway
