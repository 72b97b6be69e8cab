#include "gateway/tcp_gateway.h"

#include "core/connection.h"
#include "core/shard_stats.h"
#include "gateway/room_hub.h"
#include "gateway/stream_member.h"
#include "proto/binary_envelope.h"
#include "proto/length_prefixed.h"

namespace rg::gateway {

namespace {

class TcpGatewaySession final : public core::StreamSession {
 public:
  TcpGatewaySession(core::Connection& conn, RoomHub& hub, uint32_t max_frame) noexcept
      : conn_(conn),
        hub_(hub),
        parser_(max_frame),
        member_(conn, StreamMember::Framing::kLengthPrefixed, &TcpGatewaySession::cut_off, this) {
    hub_.attach(member_);
  }
  ~TcpGatewaySession() override { hub_.detach(member_); }

  void on_bytes(core::Connection& conn, std::span<std::byte> bytes) noexcept override {
    if (conn.closing()) return;
    core::ShardStats& stats = conn.stats();
    proto::FrameError error = parser_.feed(bytes, [&](std::span<const std::byte> frame) {
      ++stats.messages_in;
      proto::Request request;
      if (proto::RequestError e = proto::bin::parse_request(frame, request)) {
        hub_.reply_error(member_, WireForm::kTcp, e, request.id);
        return;
      }
      hub_.handle(member_, WireForm::kTcp, request);
    });
    if (error != proto::FrameError::kNone && !conn.closing()) {
      // The stream has lost its framing: nothing after this can be trusted.
      hub_.reply_error(member_, WireForm::kTcp,
                       {proto::ErrorCode::kTooLarge, "frame longer than --max-frame"}, {});
      conn.fail_protocol();
    }
  }

 private:
  static void cut_off(void* self) noexcept {
    auto& session = *static_cast<TcpGatewaySession*>(self);
    if (session.conn_.closing()) return;
    session.conn_.discard_unsent();
    session.hub_.reply_error(session.member_, WireForm::kTcp,
                             {proto::ErrorCode::kSlowConsumer, "slow consumer"}, {});
    session.hub_.detach(session.member_);  // nothing more is queued behind the error
    session.conn_.close(core::Connection::CloseMode::kGraceful);
  }

  core::Connection& conn_;
  RoomHub& hub_;
  proto::LengthPrefixedParser parser_;
  StreamMember member_;
};

}  // namespace

std::unique_ptr<core::StreamSession> TcpGatewayService::open(core::Connection& conn) noexcept {
  return std::make_unique<TcpGatewaySession>(conn, hub_, max_frame_);
}

}  // namespace rg::gateway
