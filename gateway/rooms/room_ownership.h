#pragma once
// Where a room's order is decided, seen from a shard with members: the owner assigns a
// room's sequence numbers, keeps its history, epoch, publish keys and presence set, and
// answers through a Listener. Today's owner is a shard of this process (RoomHub's
// ShardOwnership: a hash of the name picks it, the bus carries both ways); a cluster of
// gateways will bring one whose owner is elsewhere (Redis assigning the seq in one
// function call), and the hub will not know the difference.
//
// Contract: for one room, an owner answers in the order it was asked, and every message
// it sends back for the room (joined, deliveries, replays, presence) arrives in the order
// the owner decided it. The hub's exactly-once delivery and its resume rest on that.

#include <cstdint>
#include <string_view>

#include "gateway/rooms/room_message.h"

namespace rg::gateway {

class RoomOwnership {
 public:
  // The way back: what owners send to a shard with members. Called on the shard's thread.
  class Listener {
   public:
    virtual ~Listener() = default;
    // kJoined: the shard is a member shard of the room; later deliveries follow `seq`.
    virtual void on_joined(const RoomMessage& joined) noexcept = 0;
    // kPublish with its seq: a delivery, or (duplicate()) only the publisher's ack.
    virtual void on_message(const RoomMessage& message) noexcept = 0;
    // kReplay: the answer to resume().
    virtual void on_replay(const RoomMessage& replay) noexcept = 0;
    // kPresenceList (an answer to a query) or kPresenceEvent (a member joined or left).
    virtual void on_presence(const RoomMessage& presence) noexcept = 0;
    // kHistory: the answer to history().
    virtual void on_history(const RoomMessage& history) noexcept = 0;
    // The room's owner cannot be reached (a cluster's link is down): its members here are
    // told `unavailable` and taken out of it; they may join again.
    virtual void on_unavailable(std::string_view room) noexcept = 0;
  };

  virtual ~RoomOwnership() = default;
  // Each takes the caller's reference to `message`.
  virtual void publish(RoomMessage* message) noexcept = 0;  // kPublish
  virtual void resume(RoomMessage* message) noexcept = 0;   // kResume
  // kPresenceJoin, kPresenceLeave, kPresenceQuery
  virtual void presence(RoomMessage* message) noexcept = 0;
  virtual void history(RoomMessage* message) noexcept = 0;  // kHistoryQuery
  // The shard's first member of `room` joined / its last one left.
  virtual void join(std::string_view room, uint64_t hash) noexcept = 0;
  virtual void leave(std::string_view room, uint64_t hash) noexcept = 0;
};

}  // namespace rg::gateway
