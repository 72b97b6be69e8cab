// The room hub's bus pump: where a room's order is decided (ShardOwnership), what the
// owners send back, and the hub's turn of the shard's loop.

#include "gateway/rooms/room_hub.h"

#include <algorithm>

#include "core/shard/clock.h"

namespace rg::gateway {

namespace {

// How often a shard with untold gaps looks at its slow members' output while idle.
constexpr uint64_t kGapPollMs = 10;

}  // namespace

// The rooms owned by the shards of this process: a room's owner is the shard its name's
// hash picks. Requests to another shard go on the bus's request lane; this shard's own
// rooms are handled in place (their answers wait in the inbox until the tick, so that
// they are never re-entrant). Answers come back as bus messages: RoomHub::on_bus.
class RoomHub::ShardOwnership final : public RoomOwnership {
 public:
  explicit ShardOwnership(RoomHub& hub) : hub_(hub) {}

  void publish(RoomMessage* message) noexcept override { route(message); }
  void resume(RoomMessage* message) noexcept override { route(message); }
  void presence(RoomMessage* message) noexcept override { route(message); }
  void history(RoomMessage* message) noexcept override { route(message); }
  void join(std::string_view room, uint64_t hash) noexcept override {
    route(RoomMessage::create(hub_.fields_from(RoomMessage::Kind::kJoin, room, hash, 0)));
  }
  void leave(std::string_view room, uint64_t hash) noexcept override {
    route(RoomMessage::create(hub_.fields_from(RoomMessage::Kind::kLeave, room, hash, 0)));
  }

 private:
  // To the owner of the message's room: another shard's over the bus's request lane, or
  // this shard's own table, handled as a message from another shard would be.
  void route(RoomMessage* message) noexcept {
    auto owner = static_cast<unsigned>(message->room_hash() % hub_.mailbox_.shards());
    if (owner == hub_.shard()) return hub_.to_owner(owner, message);
    hub_.mailbox_.send(owner, core::kRequestLane, message);
  }
  RoomHub& hub_;
};

RoomHub::RoomHub(core::ShardMailbox& mailbox, const HubConfig& config)
    : config_(config),
      mailbox_(mailbox),
      owned_(mailbox.shards(), config.owner, &RoomHub::owner_send, this),
      ownership_(config.ownership ? config.ownership(*this, *this)
                                  : std::make_unique<ShardOwnership>(*this)),
      sessions_(mailbox.self(), config.max_sessions, config.session_ttl_ms) {
  if (config.auth.required) {
    tokens_ = std::make_unique<TokenCache>(config.auth.jwt, config.auth.cache_entries);
  }
  mailbox.subscribe(kRoomsTopic, &RoomHub::on_bus, this);
  mailbox.subscribe(kSessionsTopic, &RoomHub::on_session_bus, this);
  mailbox.add_service(*this);
}

void RoomHub::on_bus(void* self, unsigned from, unsigned lane, core::BusMessage* message) noexcept {
  auto& hub = *static_cast<RoomHub*>(self);
  auto* room_message = static_cast<RoomMessage*>(message);  // the topic says what it is
  if (lane == core::kReplyLane) {
    hub.from_owner(room_message);
  } else {
    hub.to_owner(from, room_message);
  }
}

RoomHub::~RoomHub() {
  for (RoomMessage* message : inbox_) message->release();
}

void RoomHub::owner_send(void* self, unsigned shard, RoomMessage* message) {
  auto& hub = *static_cast<RoomHub*>(self);
  if (shard == hub.shard()) {
    hub.inbox_.push_back(message);  // delivered in this tick's on_tick, never re-entrantly
  } else {
    hub.mailbox_.send(shard, core::kReplyLane, message);
  }
}

bool RoomHub::congested() const noexcept {
  return mailbox_.congested();
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
    case RoomMessage::Kind::kResume:
      owned_.resume(from, *message);
      break;
    case RoomMessage::Kind::kPresenceJoin:
      owned_.presence_join(from, *message);
      break;
    case RoomMessage::Kind::kPresenceLeave:
      owned_.presence_leave(from, *message);
      break;
    case RoomMessage::Kind::kPresenceQuery:
      owned_.presence_query(from, *message);
      break;
    case RoomMessage::Kind::kHistoryQuery:
      owned_.history(from, *message);
      break;
    default:  // answers travel the other way
      break;
  }
  message->release();
}

// The owner's answers, handed to the Listener side of the hub by kind.
void RoomHub::from_owner(RoomMessage* message) noexcept {
  switch (message->kind()) {
    case RoomMessage::Kind::kJoined:
      on_joined(*message);
      break;
    case RoomMessage::Kind::kPublish:
      on_message(*message);
      break;
    case RoomMessage::Kind::kReplay:
      on_replay(*message);
      break;
    case RoomMessage::Kind::kPresenceList:
    case RoomMessage::Kind::kPresenceEvent:
      on_presence(*message);
      break;
    case RoomMessage::Kind::kHistory:
      on_history(*message);
      break;
    default:
      break;
  }
  message->release();
}

void RoomHub::on_history(const RoomMessage& history) noexcept {
  auto it = members_.find(history.origin_member());
  if (it != members_.end()) it->second->on_history(history);  // else: gone meanwhile
}

void RoomHub::history(Member& member, std::string_view room, bool has_since, uint64_t since,
                      uint32_t limit) noexcept {
  RoomMessage::Fields fields =
      fields_from(RoomMessage::Kind::kHistoryQuery, room, room_hash(room), member.id_);
  fields.flag = has_since;
  fields.seq = since;
  ownership_->history(RoomMessage::create_history_query(fields, limit));
}

bool RoomHub::disconnect(uint64_t member_id) noexcept {
  auto it = members_.find(member_id);
  if (it == members_.end() || it->second->closing()) return false;
  log(*it->second, "disconnected", "by the server API");
  it->second->disconnect();
  return true;
}

void RoomHub::on_joined(const RoomMessage& message) noexcept {
  auto it = rooms_.find(message.room());
  LocalRoom* room = it == rooms_.end() ? nullptr : it->second.get();
  if (room == nullptr || room->active) return;
  room->active = true;
  room->last_seq = message.seq();
  room->epoch = std::string(message.epoch());
  for (const LocalRoom::PendingReply& reply : room->pending) {
    auto m = members_.find(reply.member);
    if (m == members_.end()) continue;  // gone meanwhile
    --m->second->replies_owed_;
    if (reply.left) {
      reply_left(*m->second, reply.form, room->name, reply.id);
    } else {
      reply_joined(*m->second, reply.form, *room, reply.id);
    }
  }
  room->pending.clear();
  if (room->members.empty() && !room->retire_listed) {
    room->retire_listed = true;
    retire_.push_back(room);
  }
}

void RoomHub::on_message(const RoomMessage& message) noexcept {
  if (!message.duplicate()) {
    auto it = rooms_.find(message.room());
    LocalRoom* room = it == rooms_.end() ? nullptr : it->second.get();
    if (room != nullptr && room->active && message.seq() > room->last_seq) {
      if (message.seq() != room->last_seq + 1) ++stats_.seq_jumps;
      room->last_seq = message.seq();
      deliver(*room, message);
    }
  }
  acknowledge(message);
}

void RoomHub::on_unavailable(std::string_view name) noexcept {
  auto it = rooms_.find(name);
  if (it == rooms_.end()) return;
  LocalRoom& room = *it->second;
  while (!room.members.empty()) {
    LocalRoom::Entry entry = room.members.back();
    Member& member = *entry.member;
    WireForm form = member.memberships_[entry.membership].form;
    remove_membership(member, entry.membership);
    ++stats_.unavailable;
    reply_error(member, form,
                {proto::ErrorCode::kUnavailable, "the room's owner cannot be reached: join again"},
                {});
  }
}

void RoomHub::on_tick() noexcept {
  uint64_t now = core::monotonic_ms();  // (one clock read a tick: it shows in a profile)
  owned_.set_now(now);
  sessions_.expire(now);
  if (!auth_deadlines_.empty()) run_auth_deadlines(now);
  if (owned_.forget_expired() > 0) activity_ = true;
  // Leaves reach the owner before the shard's own leave of a room it retires below.
  for (LocalRoom* room : presence_leaving_) {
    if (!room->presence_leaving.empty()) flush_presence_leaves(*room);
  }
  presence_leaving_.clear();
  while (!inbox_.empty()) {
    RoomMessage* message = inbox_.front();
    inbox_.pop_front();
    from_owner(message);
  }
  if (replays_sending_ > 0) pump_replays();
  for (LocalRoom* room : retire_) {
    room->retire_listed = false;
    // A room still waiting for its owner's answer stays until it comes: at most one join
    // of a room is in flight per shard, so an answer always belongs to the current entry.
    if (!room->members.empty() || !room->active) continue;
    // Leaves made since this tick's flush (a member cut off while a delivery was handed
    // out) reach the owner before the shard's own leave, and the list forgets the room.
    if (!room->presence_leaving.empty()) flush_presence_leaves(*room);
    std::erase(presence_leaving_, room);
    std::string name = std::move(room->name);
    uint64_t hash = room->hash;
    rooms_.erase(name);
    ownership_->leave(name, hash);
  }
  retire_.clear();
  if (!gap_owed_.empty()) tell_owed_gaps();
  if (!conflating_.empty()) drain_conflated();
  if (!held_.empty() && !congested()) {
    for (Member* member : held_) {
      member->held_ = false;
      member->release_reads();
    }
    held_.clear();
  }
}

uint64_t RoomHub::sleep_limit_ms() noexcept {
  if (!inbox_.empty()) return 0;
  if (!presence_leaving_.empty()) return 0;
  // A slow member's output drains without a completion of ours: look again shortly.
  if (!gap_owed_.empty() || !conflating_.empty() || replays_sending_ > 0) return kGapPollMs;
  if (!auth_deadlines_.empty()) {
    uint64_t now = core::monotonic_ms(), due = auth_deadlines_.front().due_ms;
    return due <= now ? 0 : due - now;
  }
  return core::LoopHook::kSleepUnbounded;
}

bool RoomHub::idle() const noexcept {
  // (A replay still being sent is not waited for: its member may never read.)
  return inbox_.empty() && retire_.empty() && presence_leaving_.empty();
}

}  // namespace rg::gateway
