#pragma once
// A WebSocket or raw TCP connection as a room member: how replies and room messages are
// framed on it, and how it is cut off when it cannot keep up.

#include <cstddef>
#include <span>

#include "core/net/connection.h"
#include "core/shard/shard_stats.h"
#include "gateway/rooms/member.h"

namespace rg::gateway {

class StreamMember final : public Member {
 public:
  // Called by cut_off_slow() and disconnect(): the session says why in its protocol and
  // closes.
  enum class Why : uint8_t { kSlowConsumer, kDisconnected, kRateLimited, kUnauthorized, kExpired };
  using CutOff = void (*)(void* session, Why why) noexcept;

  // Replies are framed by their wire form (gateway/wire_codec.h).
  // `protocol`: whose messages_out its messages count in.
  StreamMember(core::Connection& conn, core::Protocol protocol, CutOff cut_off,
               void* session) noexcept
      : conn_(conn), counts_(conn.stats().of(protocol)), cut_off_(cut_off), session_(session) {}
  // A raw room's member hears room messages only: replies are not its protocol.
  void drop_replies() noexcept { replies_ = false; }

  size_t queued_bytes() const noexcept override { return conn_.backlog_bytes(); }
  bool closing() const noexcept override { return conn_.closing(); }
  bool send_encoded(const core::BlockRef& block, size_t offset, size_t length) noexcept override {
    if (conn_.closing()) return false;
    conn_.send_shared(block, offset, length);
    ++counts_.messages_out;
    return true;
  }
  void send_reply(WireForm form, std::span<const std::byte> body) noexcept override;
  void cut_off_slow() noexcept override { cut_off_(session_, Why::kSlowConsumer); }
  void disconnect() noexcept override { cut_off_(session_, Why::kDisconnected); }
  void cut_off_rate_limited() noexcept override { cut_off_(session_, Why::kRateLimited); }
  void cut_off_unauthorized(bool expired) noexcept override {
    cut_off_(session_, expired ? Why::kExpired : Why::kUnauthorized);
  }
  void hold_reads() noexcept override { conn_.hold_reads(); }
  void release_reads() noexcept override { conn_.release_reads(); }

 private:
  core::Connection& conn_;
  core::ProtocolStats& counts_;
  CutOff cut_off_;
  void* session_;
  bool replies_ = true;
};

}  // namespace rg::gateway
