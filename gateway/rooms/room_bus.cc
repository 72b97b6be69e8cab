// The room hub's bus pump: where a room's order is decided (ShardOwnership), what the
// owners send back, and the hub's turn of the shard's loop.

#include "gateway/rooms/room_hub.h"

#include <algorithm>

#include "core/clock.h"

namespace rg::gateway {

namespace {

// Messages taken from each ring per tick: enough to batch, few enough to keep the loop's
// other work (I/O, timers) prompt.
constexpr size_t kDrainBudget = 512;
// Deliveries a room owner may have waiting for room in rings before it stops taking new
// publishes from other shards (and holds its own publishers).
constexpr size_t kReplyBacklogLimit = 4 * core::kBusRingCapacity;
// How often a shard with untold gaps looks at its slow members' output while idle.
constexpr uint64_t kGapPollMs = 10;

}  // namespace

class RoomHub::ShardOwnership final : public RoomOwnership {
 public:
  explicit ShardOwnership(RoomHub& hub) : hub_(hub) {}

  void publish(RoomMessage* message) noexcept override {
    unsigned owner = owner_of(message->room_hash());
    if (owner == hub_.shard()) {
      hub_.owned_.publish(message);
    } else {
      hub_.port_.send(owner, core::kRequestLane, message);
    }
  }
  void join(std::string_view room, uint64_t hash) noexcept override {
    unsigned owner = owner_of(hash);
    if (owner == hub_.shard()) {
      hub_.owned_.join(owner, room, hash);
    } else {
      hub_.port_.send(owner, core::kRequestLane, notice(RoomMessage::Kind::kJoin, room, hash));
    }
  }
  void leave(std::string_view room, uint64_t hash) noexcept override {
    unsigned owner = owner_of(hash);
    if (owner == hub_.shard()) {
      hub_.owned_.leave(owner, room);
    } else {
      hub_.port_.send(owner, core::kRequestLane, notice(RoomMessage::Kind::kLeave, room, hash));
    }
  }

 private:
  unsigned owner_of(uint64_t hash) const noexcept {
    return static_cast<unsigned>(hash % hub_.port_.shards());
  }
  RoomMessage* notice(RoomMessage::Kind kind, std::string_view room, uint64_t hash) {
    RoomMessage::Fields fields;
    fields.kind = kind;
    fields.room = room;
    fields.room_hash = hash;
    fields.origin_shard = hub_.shard();
    return RoomMessage::create(fields);
  }
  RoomHub& hub_;
};

RoomHub::RoomHub(core::Bus& bus, unsigned shard, const HubConfig& config)
    : config_(config),
      port_(bus, shard),
      owned_(bus.shards(), config.owner, &RoomHub::owner_send, this),
      ownership_(std::make_unique<ShardOwnership>(*this)) {}

RoomHub::~RoomHub() {
  for (RoomMessage* message : inbox_) message->release();
}

void RoomHub::owner_send(void* self, unsigned shard, RoomMessage* message) {
  auto& hub = *static_cast<RoomHub*>(self);
  if (shard == hub.shard()) {
    hub.inbox_.push_back(message);  // delivered in this tick's on_tick, never re-entrantly
  } else {
    hub.port_.send(shard, core::kReplyLane, message);
  }
}

bool RoomHub::congested() const noexcept {
  return port_.backlog(core::kRequestLane) > 0 ||
         port_.backlog(core::kReplyLane) > kReplyBacklogLimit;
}

void RoomHub::hold(Member& member) noexcept {
  if (member.held_) return;
  member.held_ = true;
  held_.push_back(&member);
  member.hold_reads();
  ++stats_.held;
}

void RoomHub::to_owner(unsigned from, RoomMessage* message) noexcept {
  switch (message->kind()) {
    case RoomMessage::Kind::kPublish:
      owned_.publish(message);
      return;
    case RoomMessage::Kind::kJoin:
      owned_.join(from, message->room(), message->room_hash());
      break;
    case RoomMessage::Kind::kLeave:
      owned_.leave(from, message->room());
      break;
    case RoomMessage::Kind::kJoined:
      break;
  }
  message->release();
}

void RoomHub::from_owner(RoomMessage* message) noexcept {
  auto it = rooms_.find(message->room());
  LocalRoom* room = it == rooms_.end() ? nullptr : it->second.get();
  if (message->kind() == RoomMessage::Kind::kJoined) {
    if (room != nullptr && !room->active) {
      room->active = true;
      room->last_seq = message->seq();
      for (const LocalRoom::PendingReply& reply : room->pending) {
        auto m = members_.find(reply.member);
        if (m == members_.end()) continue;  // gone meanwhile
        --m->second->replies_owed_;
        if (reply.left) {
          reply_left(*m->second, reply.form, room->name, reply.id);
        } else {
          reply_joined(*m->second, reply.form, room->name, room->last_seq, reply.id);
        }
      }
      room->pending.clear();
      if (room->members.empty() && !room->retire_listed) {
        room->retire_listed = true;
        retire_.push_back(room);
      }
    }
  } else if (room != nullptr && room->active && message->seq() > room->last_seq) {
    if (message->seq() != room->last_seq + 1) ++stats_.seq_jumps;
    room->last_seq = message->seq();
    deliver(*room, *message);
  }
  if (message->kind() == RoomMessage::Kind::kPublish) acknowledge(*message);
  message->release();
}

void RoomHub::on_tick() noexcept {
  owned_.set_now(core::monotonic_ms());
  if (owned_.forget_expired() > 0) activity_ = true;
  more_ = port_.drain(core::kReplyLane, kDrainBudget, [this](unsigned, core::BusMessage* m) {
    from_owner(static_cast<RoomMessage*>(m));
  });
  throttled_ = port_.backlog(core::kReplyLane) > kReplyBacklogLimit;
  if (!throttled_) {
    more_ |=
        port_.drain(core::kRequestLane, kDrainBudget, [this](unsigned from, core::BusMessage* m) {
          to_owner(from, static_cast<RoomMessage*>(m));
        });
  }
  while (!inbox_.empty()) {
    RoomMessage* message = inbox_.front();
    inbox_.pop_front();
    from_owner(message);
  }
  for (LocalRoom* room : retire_) {
    room->retire_listed = false;
    // A room still waiting for its owner's answer stays until it comes: at most one join
    // of a room is in flight per shard, so an answer always belongs to the current entry.
    if (!room->members.empty() || !room->active) continue;
    std::string name = std::move(room->name);
    uint64_t hash = room->hash;
    rooms_.erase(name);
    ownership_->leave(name, hash);
  }
  retire_.clear();
  if (!gap_owed_.empty()) tell_owed_gaps();
  if (!held_.empty() && !congested()) {
    for (Member* member : held_) {
      member->held_ = false;
      member->release_reads();
    }
    held_.clear();
  }
  port_.flush();
}

uint64_t RoomHub::prepare_to_sleep() noexcept {
  if (more_ || !inbox_.empty()) return 0;
  if (port_.backlog(core::kRequestLane) > 0 || port_.backlog(core::kReplyLane) > 0) {
    return 1;  // waiting for room in another shard's ring: look again shortly
  }
  if (!gap_owed_.empty()) {
    // A slow member's output drains without a completion of ours: look again shortly.
    return port_.prepare_to_sleep(!throttled_) ? kGapPollMs : 0;
  }
  return port_.prepare_to_sleep(!throttled_) ? kSleepUnbounded : 0;
}

bool RoomHub::idle() const noexcept {
  return !more_ && inbox_.empty() && retire_.empty() && port_.backlog(core::kRequestLane) == 0 &&
         port_.backlog(core::kReplyLane) == 0;
}

void RoomHub::on_woken() noexcept {
  port_.on_woken();
}

}  // namespace rg::gateway
