#pragma once
// The owner's side of the rooms one shard owns (a room's owner is chosen by hashing its
// name): each room's epoch and next sequence number, its bounded history, the keys of
// its recent publishes, who is in it (presence), and which shards have members.
// Single-threaded; what it sends goes through `Send` (the bus, or the owning shard's own
// inbox), so the table can be tested alone.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/counter.h"
#include "gateway/rooms/room_message.h"

namespace rg::gateway {

struct OwnerLimits {
  size_t history = 1024;           // messages kept per room (--history)
  size_t history_bytes = 1 << 20;  // and at most this many bytes of them per room
  size_t max_idle_rooms = 10000;   // rooms without members remembered by this shard
  // A room without members and without a publish for this long is forgotten, with its
  // history (0: only max_idle_rooms forgets rooms).
  uint64_t idle_room_ttl_ms = 0;
  // All the history this shard keeps, over all its rooms (--history-total / shards): past
  // it, the rooms published to least recently lose their oldest messages first.
  size_t history_total_bytes = size_t{128} << 20;
  size_t max_replay = 10000;           // a resume needing more messages is not recovered
  size_t dedupe_keys = 4096;           // publish keys remembered per room (--dedupe-keys)
  uint64_t dedupe_window_ms = 120000;  // and for at most this long (--dedupe-window)
  size_t presence_limit = 1000;        // members listed in a presence answer (count is exact)
};

// A member's name in the protocol ("shard.member"; a cluster will prefix its gateway).
std::string member_name(unsigned shard, uint64_t member);

class OwnedRooms {
 public:
  // Hands `message` (and a reference) to shard `shard`.
  using Send = void (*)(void* context, unsigned shard, RoomMessage* message);

  struct Room {
    uint64_t last_seq = 0;
    std::vector<bool> member_shards;
    unsigned member_shard_count = 0;
    std::deque<RoomMessage*> history;  // oldest first; each holds a reference
    size_t history_bytes = 0;
    uint64_t idle_epoch = 0;  // matches the idle list's entry while the room has no member
    uint64_t active_ms = 0;   // when it last had a publish, or lost its last member
    // Rooms with history, least recently published first (intrusive: no allocation).
    Room* lru_prev = nullptr;
    Room* lru_next = nullptr;
    std::string epoch;  // chosen at random when the room's sequence starts
    // Recent publish keys (made on the first keyed publish): a key's first seq.
    struct Keys {
      struct Entry {
        std::string key;
        uint64_t seq;
        uint64_t at_ms;
      };
      std::deque<Entry> order;  // oldest first; the map's views point into its strings
      std::unordered_map<std::string_view, uint64_t> seen;
    };
    std::unique_ptr<Keys> keys;
    // Who is in the room, over all shards: presence_key(shard, member) -> info.
    std::unordered_map<uint64_t, std::string> presence;
    // Publishes in the current second and the one before (the busiest rooms' rate).
    uint64_t rate_second = 0;
    uint32_t publishes_this_second = 0;
    uint32_t publishes_last_second = 0;

    void count_publish(uint64_t now_ms) noexcept {
      roll(now_ms);
      ++publishes_this_second;
    }
    // Publishes in the last whole second.
    uint32_t publish_rate(uint64_t now_ms) const noexcept {
      uint64_t second = now_ms / 1000;
      if (second == rate_second) return publishes_last_second;
      return second == rate_second + 1 ? publishes_this_second : 0;
    }

   private:
    void roll(uint64_t now_ms) noexcept {
      uint64_t second = now_ms / 1000;
      if (second == rate_second) return;
      publishes_last_second = second == rate_second + 1 ? publishes_this_second : 0;
      publishes_this_second = 0;
      rate_second = second;
    }
  };

  // One room's figures for the server API's busiest rooms.
  struct RoomFigures {
    std::string room;
    size_t members = 0;
    uint64_t seq = 0;
    uint32_t publishes_per_s = 0;
    size_t history = 0;
  };

  OwnedRooms(unsigned shards, const OwnerLimits& limits, Send send, void* context);
  ~OwnedRooms();
  OwnedRooms(const OwnedRooms&) = delete;
  OwnedRooms& operator=(const OwnedRooms&) = delete;

  // A publish (the caller's reference is taken over): the next sequence number, history,
  // then one reference to every member shard, and to the publisher's shard for its ack.
  void publish(RoomMessage* message) noexcept;
  // Shard `shard` has a first member: it is answered kJoined with the room's last seq,
  // ordered before every message it will be sent for the room.
  void join(unsigned shard, std::string_view room, uint64_t hash) noexcept;
  void leave(unsigned shard, std::string_view room) noexcept;
  // A kResume from shard `shard` (the message is the caller's): answered with a kReplay.
  void resume(unsigned shard, const RoomMessage& request) noexcept;
  // Presence: a member joined (kPresenceJoin), members left (kPresenceLeave), a query
  // (kPresenceQuery). Joins and leaves are told to every member shard (kPresenceEvent).
  void presence_join(unsigned shard, const RoomMessage& notice) noexcept;
  void presence_leave(unsigned shard, const RoomMessage& notice) noexcept;
  void presence_query(unsigned shard, const RoomMessage& query) noexcept;
  // A kHistoryQuery from shard `shard`: answered with a kHistory (the messages kept after
  // its since, oldest first, or the newest ones without a since; at most its limit).
  void history(unsigned shard, const RoomMessage& query) noexcept;
  // Appends the `n` busiest rooms owned here (publishes in the last second, then members)
  // to `out`; returns how many.
  size_t busiest(size_t n, std::vector<RoomFigures>& out) const;

  static uint64_t presence_key(unsigned shard, uint64_t member) noexcept {
    return uint64_t{shard} << 48 | member;
  }
  // The protocol name of the member a presence key stands for.
  static std::string presence_name(uint64_t key) {
    return member_name(static_cast<unsigned>(key >> 48), key & ((uint64_t{1} << 48) - 1));
  }

  // The time, for the idle rooms' TTL (the hub sets it every tick).
  void set_now(uint64_t now_ms) noexcept { now_ms_ = now_ms; }
  // Forgets the rooms that have had neither a member nor a publish for the TTL.
  // Returns how many were forgotten. Cheap when none is due (one look at the oldest).
  size_t forget_expired() noexcept;

  const Room* find(std::string_view room) const noexcept;
  size_t size() const noexcept { return rooms_.size(); }
  // Rooms owned here with a member on some shard (any thread may read it).
  uint64_t active() const noexcept { return active_rooms_.get(); }
  size_t history_bytes() const noexcept { return history_bytes_; }

 private:
  Room& room_for(std::string_view name) noexcept;
  void became_idle(std::string_view name, Room& room) noexcept;
  void drop_oldest(Room& room) noexcept;
  void forget_history(Room& room) noexcept;
  void lru_unlink(Room& room) noexcept;
  void lru_push_back(Room& room) noexcept;
  // The first seq of a publish with this key, if it was seen within the limits (and
  // remembers it otherwise, with `seq`).
  bool seen_key(Room& room, std::string_view key, uint64_t seq, uint64_t& first) noexcept;
  void send_to_member_shards(const Room& room, RoomMessage* message) noexcept;
  // A presence change to every member shard: a join of `member` (of `shard`) with its
  // info, or (joined false) the presence keys of the members gone in `data`.
  void tell_presence(const Room& room, const RoomMessage& notice, bool joined, unsigned shard,
                     std::string_view data) noexcept;

  unsigned shards_;
  OwnerLimits limits_;
  Send send_;
  void* context_;
  std::unordered_map<std::string, Room, StringHash, std::equal_to<>> rooms_;
  core::Counter active_rooms_;
  struct IdleEntry {
    std::string room;
    uint64_t epoch;
    uint64_t since_ms;
  };
  std::deque<IdleEntry> idle_;  // rooms that became idle, oldest first
  uint64_t now_ms_ = 0;
  uint64_t next_epoch_ = 1;
  Room* lru_head_ = nullptr;  // published to least recently
  Room* lru_tail_ = nullptr;
  size_t history_bytes_ = 0;  // over all rooms
  std::mt19937_64 random_;    // epochs
};

}  // namespace rg::gateway
