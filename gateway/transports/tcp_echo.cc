#include "gateway/transports/tcp_echo.h"

#include "core/net/connection.h"
#include "core/shard/shard_stats.h"
#include "proto/envelope/length_prefixed.h"

namespace rg::gateway {

namespace {

class TcpEchoSession final : public core::StreamSession {
 public:
  explicit TcpEchoSession(uint32_t max_frame) noexcept : parser_(max_frame) {}

  void on_bytes(core::Connection& conn, std::span<std::byte> bytes) noexcept override {
    core::ProtocolStats& counts = conn.stats().of(core::Protocol::kTcp);
    proto::FrameError error = parser_.feed(bytes, [&](std::span<const std::byte> payload) {
      std::byte header[proto::LengthPrefixedParser::kHeaderSize];
      proto::LengthPrefixedParser::write_header(header, static_cast<uint32_t>(payload.size()));
      // Both land in the connection's tail block: one copy, one sendmsg per tick.
      conn.send_copy(header);
      conn.send_copy(payload);
      ++counts.messages_in;
      ++counts.messages_out;
    });
    // An oversize frame cannot be skipped safely (the peer may be a fuzzer or lost its
    // framing): echoes already queued are flushed, then the connection is cut off.
    if (error != proto::FrameError::kNone) conn.fail_protocol();
  }

 private:
  proto::LengthPrefixedParser parser_;
};

}  // namespace

std::unique_ptr<core::StreamSession> TcpEchoService::open(core::Connection&) noexcept {
  return std::make_unique<TcpEchoSession>(max_frame_);
}

}  // namespace rg::gateway
