#include "gateway/rooms/room_owner.h"

namespace rg::gateway {

OwnedRooms::OwnedRooms(unsigned shards, const OwnerLimits& limits, Send send, void* context)
    : shards_(shards), limits_(limits), send_(send), context_(context) {}

OwnedRooms::~OwnedRooms() {
  for (auto& [name, room] : rooms_) {
    for (RoomMessage* message : room.history) message->release();
  }
}

void OwnedRooms::lru_unlink(Room& room) noexcept {
  (room.lru_prev ? room.lru_prev->lru_next : lru_head_) = room.lru_next;
  (room.lru_next ? room.lru_next->lru_prev : lru_tail_) = room.lru_prev;
  room.lru_prev = room.lru_next = nullptr;
}

void OwnedRooms::lru_push_back(Room& room) noexcept {
  room.lru_prev = lru_tail_;
  room.lru_next = nullptr;
  (lru_tail_ ? lru_tail_->lru_next : lru_head_) = &room;
  lru_tail_ = &room;
}

void OwnedRooms::drop_oldest(Room& room) noexcept {
  RoomMessage* oldest = room.history.front();
  room.history.pop_front();
  room.history_bytes -= oldest->footprint();
  history_bytes_ -= oldest->footprint();
  oldest->release();
  if (room.history.empty()) lru_unlink(room);
}

void OwnedRooms::forget_history(Room& room) noexcept {
  while (!room.history.empty()) drop_oldest(room);
}

OwnedRooms::Room& OwnedRooms::room_for(std::string_view name) noexcept {
  auto it = rooms_.find(name);
  if (it != rooms_.end()) return it->second;
  Room& room = rooms_.emplace(std::string(name), Room{}).first->second;
  room.member_shards.assign(shards_, false);
  became_idle(name, room);
  return room;
}

void OwnedRooms::became_idle(std::string_view name, Room& room) noexcept {
  room.idle_epoch = next_epoch_++;
  room.active_ms = now_ms_;
  idle_.push_back(IdleEntry{std::string(name), room.idle_epoch, now_ms_});
  // Forget the rooms idle the longest. An entry whose epoch no longer matches is stale:
  // its room gained members (or became idle again, with a newer entry) since.
  while (idle_.size() > limits_.max_idle_rooms) {
    IdleEntry oldest = std::move(idle_.front());
    idle_.pop_front();
    auto it = rooms_.find(oldest.room);
    if (it == rooms_.end() || it->second.idle_epoch != oldest.epoch || &it->second == &room) {
      continue;
    }
    forget_history(it->second);
    rooms_.erase(it);
  }
}

size_t OwnedRooms::forget_expired() noexcept {
  if (limits_.idle_room_ttl_ms == 0) return 0;
  size_t forgotten = 0;
  while (!idle_.empty() && idle_.front().since_ms + limits_.idle_room_ttl_ms <= now_ms_) {
    IdleEntry oldest = std::move(idle_.front());
    idle_.pop_front();
    auto it = rooms_.find(oldest.room);
    if (it == rooms_.end() || it->second.idle_epoch != oldest.epoch) continue;  // stale
    Room& room = it->second;
    if (room.active_ms + limits_.idle_room_ttl_ms > now_ms_) {
      // Published to since it became idle: it goes to the back (timed from now, which
      // keeps the list in order; it is forgotten at most one TTL late).
      oldest.since_ms = now_ms_;
      idle_.push_back(std::move(oldest));
      continue;
    }
    forget_history(room);
    rooms_.erase(it);
    ++forgotten;
  }
  return forgotten;
}

void OwnedRooms::publish(RoomMessage* message) noexcept {
  Room& room = room_for(message->room());
  message->set_seq(++room.last_seq);
  room.active_ms = now_ms_;

  if (limits_.history > 0) {
    message->retain();
    if (!room.history.empty()) lru_unlink(room);
    lru_push_back(room);  // now the most recently published
    room.history.push_back(message);
    room.history_bytes += message->footprint();
    history_bytes_ += message->footprint();
    while (room.history.size() > limits_.history ||
           (room.history_bytes > limits_.history_bytes && room.history.size() > 1)) {
      drop_oldest(room);
    }
    // The shard's budget: the coldest rooms lose their oldest messages first; the message
    // just published stays whatever the budget.
    while (history_bytes_ > limits_.history_total_bytes &&
           (lru_head_ != &room || room.history.size() > 1)) {
      drop_oldest(*lru_head_);
    }
  }

  unsigned origin = message->origin_shard();
  bool ack = !message->id().empty() && origin < shards_ && !room.member_shards[origin];
  unsigned targets = room.member_shard_count + (ack ? 1 : 0);
  if (targets > 0) message->retain(targets);
  for (unsigned shard = 0; shard < shards_; ++shard) {
    if (room.member_shards[shard] || (ack && shard == origin)) send_(context_, shard, message);
  }
  message->release();  // the publisher's reference
}

void OwnedRooms::join(unsigned shard, std::string_view name, uint64_t hash) noexcept {
  Room& room = room_for(name);
  if (!room.member_shards[shard]) {
    room.member_shards[shard] = true;
    ++room.member_shard_count;
    room.idle_epoch = 0;
  }
  RoomMessage::Fields fields;
  fields.kind = RoomMessage::Kind::kJoined;
  fields.room = name;
  fields.room_hash = hash;
  fields.seq = room.last_seq;
  send_(context_, shard, RoomMessage::create(fields));
}

void OwnedRooms::leave(unsigned shard, std::string_view name) noexcept {
  auto it = rooms_.find(name);
  if (it == rooms_.end() || !it->second.member_shards[shard]) return;
  Room& room = it->second;
  room.member_shards[shard] = false;
  if (--room.member_shard_count == 0) became_idle(name, room);
}

const OwnedRooms::Room* OwnedRooms::find(std::string_view name) const noexcept {
  auto it = rooms_.find(name);
  return it == rooms_.end() ? nullptr : &it->second;
}

}  // namespace rg::gateway
