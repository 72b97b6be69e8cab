#include "gateway/room_hub.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "core/clock.h"
#include "gateway/wire_codec.h"
#include "proto/binary_envelope.h"
#include "proto/length_prefixed.h"
#include "proto/ws_frame.h"

namespace rg::gateway {

namespace {

// Messages taken from each ring per tick: enough to batch, few enough to keep the loop's
// other work (I/O, timers) prompt.
constexpr size_t kDrainBudget = 512;
// Deliveries a room owner may have waiting for room in rings before it stops taking new
// publishes from other shards (and holds its own publishers).
constexpr size_t kReplyBacklogLimit = 4 * core::kBusRingCapacity;
// Joins and leaves one member may have waiting for their rooms' owners (a room's first
// join on a shard is answered once its owner has told the last seq); beyond it: `busy`.
// Bounds what a client can make the hub hold while an owner is slow to answer.
constexpr uint32_t kMaxOwedReplies = 256;
// How often a shard with untold gaps looks at its slow members' output while idle.
constexpr uint64_t kGapPollMs = 10;

std::span<const std::byte> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace

std::string RoomStats::to_string() const {
  char text[400];
  std::snprintf(text, sizeof text,
                "published=%" PRIu64 " delivered=%" PRIu64 " acks=%" PRIu64 " slow_closed=%" PRIu64
                " slow_skipped=%" PRIu64 " gaps_told=%" PRIu64 " udp_oversize=%" PRIu64
                " udp_undelivered=%" PRIu64 " held=%" PRIu64 " seq_jumps=%" PRIu64,
                published, delivered, acks, slow_closed, slow_skipped, gaps_told, udp_oversize,
                udp_undelivered, held, seq_jumps);
  return text;
}

// Rooms owned by the shards of this process: the owner is the name's hash modulo the
// shard count; this shard's own rooms are handled in place, others' through the bus.
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

void RoomHub::attach(Member& member) noexcept {
  member.id_ = next_member_id_++;
  members_.emplace(member.id_, &member);
}

void RoomHub::detach(Member& member) noexcept {
  while (!member.memberships_.empty()) remove_membership(member, member.memberships_.size() - 1);
  members_.erase(member.id_);
  if (member.held_) {
    held_.erase(std::find(held_.begin(), held_.end(), &member));
    member.held_ = false;
  }
}

const LocalRoom* RoomHub::find_room(std::string_view name) const noexcept {
  auto it = rooms_.find(name);
  return it == rooms_.end() ? nullptr : it->second.get();
}

bool RoomHub::congested() const noexcept {
  return port_.backlog(core::kRequestLane) > 0 ||
         port_.backlog(core::kReplyLane) > kReplyBacklogLimit;
}

void RoomHub::handle(Member& member, WireForm form, const proto::Request& request) noexcept {
  switch (request.op) {
    case proto::RequestOp::kJoin:
      return join(member, form, request);
    case proto::RequestOp::kLeave:
      return leave(member, form, request);
    case proto::RequestOp::kPub:
      return publish(member, form, request);
    case proto::RequestOp::kPing:
      return reply_pong(member, form, request.id);
    case proto::RequestOp::kHello:
      return reply_error(member, form, {proto::ErrorCode::kUnknownOp, "hello is for UDP only"},
                         request.id);
  }
}

void RoomHub::join(Member& member, WireForm form, const proto::Request& request) noexcept {
  for (const Membership& m : member.memberships_) {
    if (m.room->name == request.room) {  // already in: answer as a join would be
      if (m.room->active) {
        reply_joined(member, form, request.room, m.room->last_seq, request.id);
      } else if (!refuse_if_owing_too_many(member, form, request.id)) {
        owe_reply(*m.room, member, form, request.id, false);
      }
      return;
    }
  }
  if (member.memberships_.size() >= config_.max_rooms_per_member) {
    return reply_error(member, form,
                       {proto::ErrorCode::kTooManyRooms, "the connection is in too many rooms"},
                       request.id);
  }
  auto it = rooms_.find(request.room);
  bool answer_waits = it == rooms_.end() || !it->second->active;
  if (answer_waits && refuse_if_owing_too_many(member, form, request.id)) return;
  if (it == rooms_.end()) {
    auto room = std::make_unique<LocalRoom>();
    room->name = std::string(request.room);
    room->hash = room_hash(request.room);
    it = rooms_.emplace(room->name, std::move(room)).first;
    ownership_->join(it->second->name, it->second->hash);
  }
  LocalRoom& room = *it->second;
  Membership membership;
  membership.room = &room;
  membership.slot = static_cast<uint32_t>(room.members.size());
  membership.form = form;
  room.members.push_back({&member, static_cast<uint32_t>(member.memberships_.size())});
  member.memberships_.push_back(membership);
  if (room.active) {
    reply_joined(member, form, room.name, room.last_seq, request.id);
  } else {
    owe_reply(room, member, form, request.id, false);
  }
}

bool RoomHub::refuse_if_owing_too_many(Member& member, WireForm form,
                                       std::string_view id) noexcept {
  if (member.replies_owed_ < kMaxOwedReplies) return false;
  reply_error(
      member, form,
      {proto::ErrorCode::kBusy, "too many joins and leaves are waiting for their rooms' owners"},
      id);
  return true;
}

void RoomHub::owe_reply(LocalRoom& room, Member& member, WireForm form, std::string_view id,
                        bool left) noexcept {
  ++member.replies_owed_;
  room.pending.push_back({member.id_, form, std::string(id), left});
}

void RoomHub::leave(Member& member, WireForm form, const proto::Request& request) noexcept {
  for (size_t i = 0; i < member.memberships_.size(); ++i) {
    LocalRoom& room = *member.memberships_[i].room;
    if (room.name == request.room) {
      if (!room.active && refuse_if_owing_too_many(member, form, request.id)) return;
      remove_membership(member, i);
      if (!room.active) {  // its `joined` is still owed: answer in order
        return owe_reply(room, member, form, request.id, true);
      }
      return reply_left(member, form, request.room, request.id);
    }
  }
  reply_error(member, form, {proto::ErrorCode::kNotJoined, "not a member of this room"},
              request.id);
}

void RoomHub::remove_membership(Member& member, size_t index) noexcept {
  std::vector<Membership>& list = member.memberships_;
  Membership gone = list[index];
  LocalRoom& room = *gone.room;
  // Out of the room's member list (swap with the last entry)...
  LocalRoom::Entry last = room.members.back();
  room.members[gone.slot] = last;
  last.member->memberships_[last.membership].slot = gone.slot;
  room.members.pop_back();
  // ...and out of the member's list (likewise).
  if (index != list.size() - 1) {
    list[index] = list.back();
    const Membership& moved = list[index];
    moved.room->members[moved.slot].membership = static_cast<uint32_t>(index);
  }
  list.pop_back();
  if (room.members.empty() && !room.retire_listed) {
    room.retire_listed = true;
    retire_.push_back(&room);
  }
}

void RoomHub::publish(Member& member, WireForm form, const proto::Request& request) noexcept {
  if (request.data.size() > config_.max_payload) {
    return reply_error(member, form,
                       {proto::ErrorCode::kTooLarge, "data is larger than --max-payload"},
                       request.id);
  }
  if (!wire_codec(form).json && request.data_is_json && !json_.is_valid_value(request.data)) {
    return reply_error(member, form,
                       {proto::ErrorCode::kBadJson, "data flagged JSON is not one JSON value"},
                       request.id);
  }
  RoomMessage::Fields fields;
  fields.kind = RoomMessage::Kind::kPublish;
  fields.room = request.room;
  fields.room_hash = room_hash(request.room);
  fields.data = request.data;
  fields.id = request.id;
  fields.data_is_json = request.data_is_json;
  fields.echo = request.echo;
  fields.origin_form = form;
  fields.origin_shard = shard();
  fields.origin_member = member.id_;
  ownership_->publish(RoomMessage::create(fields));
  ++stats_.published;
  if (congested()) hold(member);
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

void RoomHub::acknowledge(const RoomMessage& message) noexcept {
  if (message.origin_shard() != shard() || message.id().empty()) return;
  auto it = members_.find(message.origin_member());
  if (it == members_.end()) return;  // the publisher has gone
  reply_ack(*it->second, message.origin_form(), message.id(), message.seq());
  ++stats_.acks;
}

namespace {

// One message framed for each wire form, encoded when the first member needing that form
// is met, then shared by every member of this shard.
class EncodedForms {
 public:
  explicit EncodedForms(const RoomMessage& message) : message_(message) {}

  const core::BlockRef& get(WireForm form) {
    core::BlockRef& block = blocks_[static_cast<size_t>(form)];
    if (!block) block = encode(form);
    return block;
  }

 private:
  core::BlockRef encode(WireForm form) const {
    const RoomMessage& m = message_;
    const WireCodec& codec = wire_codec(form);
    size_t n = codec.json
                   ? proto::json_msg_size(m.room(), m.seq(), m.data().size(), m.data_is_json())
                   : proto::bin::msg_size(m.room(), m.data().size());
    size_t header = codec.header_size(n);
    core::ByteBlock* block = core::ByteBlock::create(header + n);
    codec.write_header(block->data(), n);
    if (codec.json) {
      proto::write_json_msg(reinterpret_cast<char*>(block->data() + header), m.room(), m.seq(),
                            m.data(), m.data_is_json());
    } else {
      proto::bin::write_msg(block->data() + header, m.room(), m.seq(), m.data(), m.data_is_json());
    }
    block->grow(header + n);
    return core::BlockRef::adopt(block);
  }

  const RoomMessage& message_;
  core::BlockRef blocks_[kWireForms];
};

}  // namespace

void RoomHub::deliver(LocalRoom& room, const RoomMessage& message) noexcept {
  EncodedForms forms(message);
  bool from_here = message.origin_shard() == shard();
  // Backwards: a member cut off on the way may be removed at once, and removal moves the
  // last entry (already served) into its place.
  for (size_t i = room.members.size(); i-- > 0;) {
    LocalRoom::Entry entry = room.members[i];
    Member& member = *entry.member;
    if (from_here && !message.echo() && member.id_ == message.origin_member()) continue;
    // A closing member (a lingering close, a cut-off) takes nothing more and is not counted
    // again: before, every message counted as delivered, or as another slow close.
    if (member.closing()) continue;
    Membership& membership = member.memberships_[entry.membership];
    const core::BlockRef& block = forms.get(membership.form);
    size_t length = block->size();
    if (wire_codec(membership.form).datagram) {
      if (length > config_.max_datagram) {
        ++stats_.udp_oversize;
      } else if (member.send_encoded(block, 0, length)) {
        ++stats_.delivered;
      } else {
        ++stats_.udp_undelivered;
      }
      continue;
    }
    if (member.queued_bytes() + length > config_.max_outbuf) {
      if (config_.slow_consumer == SlowConsumer::kClose) {
        ++stats_.slow_closed;
        member.cut_off_slow();
        continue;
      }
      if (membership.gap_from == 0) membership.gap_from = message.seq();
      membership.gap_to = message.seq();
      if (!member.gap_owed_) {
        member.gap_owed_ = true;
        gap_owed_.push_back(member.id_);
      }
      ++stats_.slow_skipped;
      continue;
    }
    if (membership.gap_from != 0) {
      reply_gap(member, membership.form, room.name, membership.gap_from, membership.gap_to);
      membership.gap_from = membership.gap_to = 0;
      ++stats_.gaps_told;
    }
    member.send_encoded(block, 0, length);
    ++stats_.delivered;
  }
}

void RoomHub::tell_owed_gaps() noexcept {
  size_t kept = 0;
  for (uint64_t id : gap_owed_) {
    auto it = members_.find(id);
    if (it == members_.end()) continue;  // gone
    Member& member = *it->second;
    if (member.queued_bytes() > config_.max_outbuf / 2) {
      gap_owed_[kept++] = id;
      continue;
    }
    member.gap_owed_ = false;
    for (Membership& membership : member.memberships_) {
      if (membership.gap_from == 0) continue;
      reply_gap(member, membership.form, membership.room->name, membership.gap_from,
                membership.gap_to);
      membership.gap_from = membership.gap_to = 0;
      ++stats_.gaps_told;
    }
  }
  gap_owed_.resize(kept);
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

template <class Json, class Binary>
void RoomHub::reply(Member& member, WireForm form, Json&& json, Binary&& binary) noexcept {
  if (wire_codec(form).json) {
    reply_.clear();
    json(reply_);
    member.send_reply(form, as_bytes(reply_));
    return;
  }
  std::byte out[proto::bin::kMaxReplySize];
  member.send_reply(form, {out, binary(out)});
}

void RoomHub::reply_error(Member& member, WireForm form, proto::RequestError error,
                          std::string_view id) noexcept {
  reply(
      member, form,
      [&](std::string& o) { proto::append_json_error(o, error.code, error.message, id); },
      [&](std::byte* o) { return proto::bin::write_error(o, error.code, error.message, id); });
}

void RoomHub::reply_joined(Member& member, WireForm form, std::string_view room, uint64_t seq,
                           std::string_view id) noexcept {
  reply(
      member, form, [&](std::string& o) { proto::append_json_joined(o, room, seq, id); },
      [&](std::byte* o) { return proto::bin::write_joined(o, room, seq, id); });
}

void RoomHub::reply_left(Member& member, WireForm form, std::string_view room,
                         std::string_view id) noexcept {
  reply(
      member, form, [&](std::string& o) { proto::append_json_left(o, room, id); },
      [&](std::byte* o) { return proto::bin::write_left(o, room, id); });
}

void RoomHub::reply_ack(Member& member, WireForm form, std::string_view id, uint64_t seq) noexcept {
  reply(
      member, form, [&](std::string& o) { proto::append_json_ack(o, id, seq); },
      [&](std::byte* o) { return proto::bin::write_ack(o, id, seq); });
}

void RoomHub::reply_gap(Member& member, WireForm form, std::string_view room, uint64_t from,
                        uint64_t to) noexcept {
  reply(
      member, form, [&](std::string& o) { proto::append_json_gap(o, room, from, to); },
      [&](std::byte* o) { return proto::bin::write_gap(o, room, from, to); });
}

void RoomHub::reply_pong(Member& member, WireForm form, std::string_view id) noexcept {
  reply(
      member, form, [&](std::string& o) { proto::append_json_pong(o, id); },
      [&](std::byte* o) { return proto::bin::write_pong(o, id); });
}

}  // namespace rg::gateway
