#include "gateway/rooms/room_owner.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

#include "gateway/rooms/wire_codec.h"
#include "proto/envelope/binary_envelope.h"
#include "proto/envelope/json_envelope.h"

namespace rg::gateway {

std::string member_name(unsigned shard, uint64_t member) {
  return std::to_string(shard) + '.' + std::to_string(member);
}

namespace {

uint64_t random_seed() {
  std::random_device device;  // getrandom(2): differs on every start of the gateway
  return uint64_t{device()} << 32 ^ device();
}

}  // namespace

OwnedRooms::OwnedRooms(unsigned shards, const OwnerLimits& limits, Send send, void* context)
    : shards_(shards), limits_(limits), send_(send), context_(context), random_(random_seed()) {}

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
  char epoch[kEpochChars + 1];
  std::snprintf(epoch, sizeof epoch, "%016llx", static_cast<unsigned long long>(random_()));
  room.epoch = epoch;
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

bool OwnedRooms::seen_key(Room& room, std::string_view key, uint64_t seq,
                          uint64_t& first) noexcept {
  if (limits_.dedupe_keys == 0) return false;
  if (!room.keys) room.keys = std::make_unique<Room::Keys>();
  Room::Keys& keys = *room.keys;
  while (!keys.order.empty() && (keys.order.size() >= limits_.dedupe_keys ||
                                 keys.order.front().at_ms + limits_.dedupe_window_ms <= now_ms_)) {
    // Past the count, or too old: forgotten (unless the same key was stored again later,
    // which cannot happen: a seen key is never stored twice).
    keys.seen.erase(keys.order.front().key);
    keys.order.pop_front();
  }
  auto it = keys.seen.find(key);
  if (it != keys.seen.end()) {
    first = it->second;
    return true;
  }
  keys.order.push_back({std::string(key), seq, now_ms_});
  keys.seen.emplace(keys.order.back().key, seq);
  return false;
}

void OwnedRooms::publish(RoomMessage* message) noexcept {
  Room& room = room_for(message->room());
  room.active_ms = now_ms_;
  room.count_publish(now_ms_);
  message->set_epoch(room.epoch);
  uint64_t first = 0;
  if (!message->key().empty() && seen_key(room, message->key(), room.last_seq + 1, first)) {
    // Published before: only the publisher hears of it, with the first seq.
    message->set_duplicate(first);
    if (message->id().empty() || message->origin_shard() >= shards_) return message->release();
    return send_(context_, message->origin_shard(), message);
  }
  message->set_seq(++room.last_seq);

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
    if (room.member_shard_count++ == 0) ++active_rooms_;
    room.idle_epoch = 0;
  }
  RoomMessage::Fields fields;
  fields.kind = RoomMessage::Kind::kJoined;
  fields.room = name;
  fields.room_hash = hash;
  fields.seq = room.last_seq;
  fields.epoch = room.epoch;
  send_(context_, shard, RoomMessage::create(fields));
}

void OwnedRooms::leave(unsigned shard, std::string_view name) noexcept {
  auto it = rooms_.find(name);
  if (it == rooms_.end() || !it->second.member_shards[shard]) return;
  Room& room = it->second;
  room.member_shards[shard] = false;
  if (--room.member_shard_count == 0) {
    --active_rooms_;
    became_idle(name, room);
  }
}

void OwnedRooms::resume(unsigned shard, const RoomMessage& request) noexcept {
  Room& room = room_for(request.room());
  if (!room.member_shards[shard]) {  // its kJoin comes first on the same ring: not expected
    room.member_shards[shard] = true;
    if (room.member_shard_count++ == 0) ++active_rooms_;
    room.idle_epoch = 0;
  }
  uint64_t since = request.seq(), last = room.last_seq;
  uint64_t oldest = room.history.empty() ? last + 1 : room.history.front()->seq();
  // All or nothing: the epoch matches (or none was given), the client is not ahead of the
  // room, and the history holds every message after `since`, within --max-replay.
  bool recovered = (request.epoch().empty() || request.epoch() == room.epoch) && since <= last &&
                   (since == last || oldest <= since + 1) && last - since <= limits_.max_replay;
  std::vector<RoomMessage*> replay;
  if (recovered && since < last) {
    size_t first = room.history.size() - static_cast<size_t>(last - since);
    replay.reserve(room.history.size() - first);
    for (size_t i = first; i < room.history.size(); ++i) {
      RoomMessage* message = room.history[i];
      message->retain();
      replay.push_back(message);
    }
  }
  RoomMessage::Fields fields;
  fields.room = request.room();
  fields.room_hash = request.room_hash();
  fields.seq = last;
  fields.epoch = room.epoch;
  fields.flag = recovered;
  fields.origin_gateway = request.origin_gateway();
  fields.origin_shard = request.origin_shard();
  fields.origin_member = request.origin_member();
  send_(context_, shard, RoomMessage::create_replay(fields, replay.data(), replay.size()));
}

void OwnedRooms::send_to_member_shards(const Room& room, RoomMessage* message) noexcept {
  if (room.member_shard_count > 0) message->retain(room.member_shard_count);
  for (unsigned shard = 0; shard < shards_; ++shard) {
    if (room.member_shards[shard]) send_(context_, shard, message);
  }
  message->release();
}

void OwnedRooms::presence_join(unsigned shard, const RoomMessage& notice) noexcept {
  Room& room = room_for(notice.room());
  room.presence[presence_key(shard, notice.origin_member())] = std::string(notice.data());
  tell_presence(room, notice, true, shard, notice.data());
}

void OwnedRooms::tell_presence(const Room& room, const RoomMessage& notice, bool joined,
                               unsigned shard, std::string_view data) noexcept {
  RoomMessage::Fields fields;
  fields.kind = RoomMessage::Kind::kPresenceEvent;
  fields.room = notice.room();
  fields.room_hash = notice.room_hash();
  fields.flag = joined;
  fields.origin_shard = shard;
  fields.origin_member = joined ? notice.origin_member() : 0;
  fields.data = data;
  send_to_member_shards(room, RoomMessage::create(fields));
}

void OwnedRooms::presence_leave(unsigned shard, const RoomMessage& notice) noexcept {
  auto it = rooms_.find(notice.room());
  if (it == rooms_.end()) return;
  Room& room = it->second;
  // The members gone, as presence keys (the shard's member ids, u64 each, made global).
  std::string gone;
  std::string_view members = notice.data();
  for (size_t at = 0; at + sizeof(uint64_t) <= members.size(); at += sizeof(uint64_t)) {
    uint64_t member;
    std::memcpy(&member, members.data() + at, sizeof member);
    uint64_t key = presence_key(shard, member);
    if (room.presence.erase(key) == 0) continue;
    gone.append(reinterpret_cast<const char*>(&key), sizeof key);
  }
  if (!gone.empty()) tell_presence(room, notice, false, shard, gone);
}

void OwnedRooms::presence_query(unsigned shard, const RoomMessage& query) noexcept {
  auto it = rooms_.find(query.room());
  const Room* room = it == rooms_.end() ? nullptr : &it->second;
  size_t count = room ? room->presence.size() : 0;
  size_t listed = std::min(count, limits_.presence_limit);
  std::string body;
  bool json = wire_codec(query.origin_form()).json;
  if (json) {
    proto::append_json_presence_head(body, query.room(), query.id(), count);
  } else {
    listed = std::min<size_t>(listed, UINT16_MAX);
    proto::bin::append_presence_head(body, query.room(), query.id(),
                                     static_cast<uint32_t>(std::min<size_t>(count, UINT32_MAX)),
                                     static_cast<uint16_t>(listed));
  }
  if (room != nullptr) {
    size_t n = 0;
    for (const auto& [key, info] : room->presence) {
      if (n == listed) break;
      std::string name = presence_name(key);
      if (json) {
        proto::append_json_presence_member(body, n == 0, name, info);
      } else {
        proto::bin::append_presence_member(body, name, info);
      }
      ++n;
    }
  }
  if (json) proto::append_json_presence_tail(body);
  RoomMessage::Fields fields;
  fields.kind = RoomMessage::Kind::kPresenceList;
  fields.room = query.room();
  fields.room_hash = query.room_hash();
  fields.data = body;
  fields.origin_form = query.origin_form();
  fields.origin_shard = query.origin_shard();
  fields.origin_member = query.origin_member();
  send_(context_, shard, RoomMessage::create(fields));
}

void OwnedRooms::history(unsigned shard, const RoomMessage& query) noexcept {
  auto it = rooms_.find(query.room());
  const Room* room = it == rooms_.end() ? nullptr : &it->second;
  std::vector<RoomMessage*> messages;
  uint64_t last = room ? room->last_seq : 0;
  if (room != nullptr && !room->history.empty()) {
    // With a since: the oldest kept after it (paging forward); without: the newest.
    size_t first = 0, end = room->history.size();
    if (query.has_since()) {
      uint64_t oldest = room->history.front()->seq();
      if (query.seq() >= last) {
        first = end;
      } else if (query.seq() >= oldest) {
        first = static_cast<size_t>(query.seq() - oldest + 1);
      }
      end = std::min(end, first + query.history_limit());
    } else {
      first = end - std::min<size_t>(end, query.history_limit());
    }
    messages.reserve(end - first);
    for (size_t i = first; i < end; ++i) {
      room->history[i]->retain();
      messages.push_back(room->history[i]);
    }
  }
  RoomMessage::Fields fields;
  fields.kind = RoomMessage::Kind::kHistory;
  fields.room = query.room();
  fields.room_hash = query.room_hash();
  fields.seq = last;
  if (room != nullptr) fields.epoch = room->epoch;
  fields.origin_gateway = query.origin_gateway();
  fields.origin_shard = query.origin_shard();
  fields.origin_member = query.origin_member();
  send_(context_, shard, RoomMessage::create_replay(fields, messages.data(), messages.size()));
}

size_t OwnedRooms::busiest(size_t n, std::vector<RoomFigures>& out) const {
  size_t start = out.size();
  for (const auto& [name, room] : rooms_) {
    RoomFigures figures;
    figures.room = name;
    figures.members = room.presence.size();
    figures.seq = room.last_seq;
    figures.publishes_per_s = room.publish_rate(now_ms_);
    figures.history = room.history.size();
    if (figures.members == 0 && figures.publishes_per_s == 0) continue;
    out.push_back(std::move(figures));
  }
  auto busier = [](const RoomFigures& a, const RoomFigures& b) {
    return a.publishes_per_s != b.publishes_per_s ? a.publishes_per_s > b.publishes_per_s
                                                  : a.members > b.members;
  };
  size_t keep = std::min(n, out.size() - start);
  std::partial_sort(out.begin() + static_cast<ptrdiff_t>(start),
                    out.begin() + static_cast<ptrdiff_t>(start + keep), out.end(), busier);
  out.resize(start + keep);
  return keep;
}

const OwnedRooms::Room* OwnedRooms::find(std::string_view name) const noexcept {
  auto it = rooms_.find(name);
  return it == rooms_.end() ? nullptr : &it->second;
}

}  // namespace rg::gateway
