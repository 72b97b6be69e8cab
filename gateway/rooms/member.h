#pragma once
// A member of rooms: one WebSocket or TCP connection, or one UDP peer. The room hub sees
// members only through this interface, so the same delivery loop serves every protocol.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <memory>

#include "core/io/byte_block.h"
#include "gateway/admission/rate_bucket.h"
#include "gateway/rooms/conflation.h"
#include "gateway/rooms/room_message.h"
#include "proto/auth/jwt.h"

namespace rg::gateway {

struct LocalRoom;
struct PendingReplay;

// One room a member is in.
struct Membership {
  LocalRoom* room = nullptr;
  uint32_t slot = 0;  // this member's index in room->members
  WireForm form = WireForm::kWsJson;
  bool presence_notices = false;  // the member asked for join and leave notices
  // The owner's notice of this member's own join has come back: the notices after it are
  // of joins and leaves the owner saw after this member's (earlier ones, still on their
  // way when it joined here, are not told: it was not in the room for them).
  bool presence_live = false;
  // A resume is in progress (its PendingReplay is the hub's, found by member and room):
  // live messages wait behind the replay. (A flag, not a pointer: the delivery loop reads
  // every member's membership, which stays 32 bytes.)
  bool replaying = false;
  // --slow-consumer=drop: sequence numbers skipped because the member could not keep up,
  // told to it before the next message it does receive. 0: none.
  uint64_t gap_from = 0;
  uint64_t gap_to = 0;
};

// The delivery loop reads one per member per message: keep it to half a cache line.
static_assert(sizeof(Membership) <= 32);

class Member {
 public:
  virtual ~Member() = default;

  // Bytes waiting to be sent to the member, the kernel's share included (UDP members: 0).
  virtual size_t queued_bytes() const noexcept = 0;
  // Sends `length` bytes at `offset` of `block`: a message already framed for this
  // member's form. Returns false when the bytes could not be sent (UDP: no send slot).
  virtual bool send_encoded(const core::BlockRef& block, size_t offset, size_t length) noexcept = 0;
  // Sends one reply, framing `body` (a JSON text or a binary envelope) for `form`.
  virtual void send_reply(WireForm form, std::span<const std::byte> body) noexcept = 0;
  // --slow-consumer=close: say why (WebSocket 1008 "slow consumer") and cut it off.
  virtual void cut_off_slow() noexcept = 0;
  // The member's connection is closing (or cut off): nothing more is sent or counted for
  // it, although it stays in its rooms until its session is gone.
  virtual bool closing() const noexcept { return false; }
  // The connection stops being read until release_reads() (the bus is backed up).
  virtual void hold_reads() noexcept {}
  virtual void release_reads() noexcept {}
  // The server API disconnects it: it is told so in its protocol (WebSocket close 4000,
  // a `disconnected` error, Socket.IO's DISCONNECT) and closed.
  virtual void disconnect() noexcept = 0;
  // Refused past its rate limits for --rate-limit-grace: cut off (WebSocket 1008).
  virtual void cut_off_rate_limited() noexcept { disconnect(); }
  // --auth required: no valid token in time (`expired`: its token expired and was not
  // refreshed within --token-grace). Told in its protocol (WebSocket 4003 or 4001), closed.
  virtual void cut_off_unauthorized(bool expired) noexcept {
    (void)expired;
    disconnect();
  }

  // The token it authenticated with (null: none).
  const proto::JwtClaims* claims() const noexcept { return claims_.get(); }
  // The answer to RoomHub::history() (only the server API asks for one).
  virtual void on_history(const RoomMessage& history) noexcept { (void)history; }

  uint64_t member_id() const noexcept { return id_; }

  std::vector<Membership>& memberships() noexcept { return memberships_; }

 protected:
  // A member of the server's own (the server API's): no token needed, no room refused.
  void set_trusted() noexcept { trusted_ = true; }

 private:
  friend class RoomHub;
  uint64_t id_ = 0;  // set by RoomHub::attach, unique within the shard
  bool trusted_ = false;
  bool token_expired_ = false;              // told token_expired; closed after --token-grace
  uint32_t auth_generation_ = 0;            // changes with every token (deadlines name it)
  WireForm auth_form_ = WireForm::kWsJson;  // the form its token came in: token_expired's
  std::shared_ptr<const proto::JwtClaims> claims_;
  bool held_ = false;
  bool gap_owed_ = false;       // listed in RoomHub::gap_owed_
  bool durable_ = false;        // it has a live session (in the hub's SessionTable)
  bool left_resuming_ = false;  // it left a room during a resume (RoomHub::replays_ holds it)
  uint32_t replies_owed_ = 0;   // joins and leaves waiting for their rooms' owners
  RateBucket rate_;             // --rate-limit-msgs, --rate-limit-bytes
  // --slow-consumer=conflate: what waits while it cannot keep up (null: it keeps up).
  std::unique_ptr<ConflationQueue> conflation_;
  std::vector<Membership> memberships_;
};

}  // namespace rg::gateway
