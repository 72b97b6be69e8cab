// The room hub's membership: members attached to the shard, the rooms they join and
// leave, and their publishes handed to the rooms' owners. (The bus pump is room_bus.cc,
// deliveries room_delivery.cc, replies and their order room_replies.cc.)

#include "gateway/rooms/room_hub.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "gateway/rooms/wire_codec.h"

namespace rg::gateway {

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

}  // namespace rg::gateway
