#pragma once
// --slow-consumer=conflate: the room messages waiting for one member that could not keep
// up, in the order they are to be sent. A message with a conflation key (ckey) replaces
// the one of the same room and ckey still waiting (the older leaves its place, the newer
// goes last: what waits stays in seq order); a message without one is never replaced.
// Each replacement is counted per room, for the member's `conflated` notice.
//
// Bounded: at most `max_keyed` keyed messages and `max_unkeyed_bytes` of unkeyed ones
// wait; past either, push() says so and the member is cut off instead (nothing it was
// promised is dropped silently). Holds one reference to each message waiting.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "gateway/rooms/room_message.h"

namespace rg::gateway {

class ConflationQueue {
 public:
  ConflationQueue(size_t max_keyed, size_t max_unkeyed_bytes) noexcept
      : max_keyed_(max_keyed), max_unkeyed_bytes_(max_unkeyed_bytes) {}
  ~ConflationQueue();
  ConflationQueue(const ConflationQueue&) = delete;
  ConflationQueue& operator=(const ConflationQueue&) = delete;

  enum class Push : uint8_t { kQueued, kReplaced, kFull };
  // Queues `message` (a delivery of a room the member is in), taking a reference unless
  // the answer is kFull.
  [[nodiscard]] Push push(const RoomMessage& message);

  bool empty() const noexcept { return live_ == 0; }
  // The next message to send (null when empty); pop() drops it once sent or forgotten.
  const RoomMessage* front() noexcept;
  void pop() noexcept;
  // The messages of `room` replaced since the last call, and forgetting that count.
  uint64_t take_replaced(std::string_view room) noexcept;

  size_t waiting() const noexcept { return live_; }
  // Slots in the order kept, replaced ones included: at most about twice what waits.
  size_t slots() const noexcept { return entries_.size(); }

 private:
  struct Entry {
    RoomMessage* message;  // null: replaced by a newer one of its key
  };
  // A waiting message's (room, ckey), viewing that message's own bytes: the map holds no
  // copies (its entry is re-pointed when a newer message replaces the one it views).
  struct Key {
    std::string_view room;
    std::string_view ckey;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const noexcept {
      return room_hash(k.room) ^ (room_hash(k.ckey) * 0x9E3779B97F4A7C15ull);
    }
  };
  static Key key_of(const RoomMessage& m) noexcept { return {m.room(), m.ckey()}; }
  // Drops the slots of replaced messages (a member that never drains would otherwise
  // collect one per replacement behind its oldest waiting message).
  void compact();

  size_t max_keyed_;
  size_t max_unkeyed_bytes_;
  std::deque<Entry> entries_;
  uint64_t first_ = 0;  // the position of entries_.front() since the queue began
  size_t live_ = 0;
  size_t unkeyed_bytes_ = 0;
  std::unordered_map<Key, uint64_t, KeyHash> keyed_;  // -> position of the waiting one
  // room -> replacements not yet told (a member is in few rooms: one string per room)
  std::unordered_map<std::string, uint64_t, StringHash, std::equal_to<>> replaced_;
};

}  // namespace rg::gateway
