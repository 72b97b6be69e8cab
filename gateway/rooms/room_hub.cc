// The room hub's membership: members attached to the shard, the rooms they join and
// leave, and their publishes handed to the rooms' owners. (The bus pump is room_bus.cc,
// deliveries room_delivery.cc, replies and their order room_replies.cc.)

#include "gateway/rooms/room_hub.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "core/shard/clock.h"
#include "gateway/rooms/wire_codec.h"

namespace rg::gateway {

std::string RoomStats::to_string() const {
  char text[720];
  std::snprintf(text, sizeof text,
                "published=%" PRIu64 " delivered=%" PRIu64 " acks=%" PRIu64 " slow_closed=%" PRIu64
                " slow_skipped=%" PRIu64 " gaps_told=%" PRIu64 " conflated=%" PRIu64
                " udp_oversize=%" PRIu64 " udp_undelivered=%" PRIu64 " held=%" PRIu64
                " seq_jumps=%" PRIu64 " resumes=%" PRIu64 " recovered=%" PRIu64
                " unrecovered=%" PRIu64 " replayed=%" PRIu64 " duplicates=%" PRIu64
                " presence_events=%" PRIu64 " unavailable=%" PRIu64 " sessions_kept=%" PRIu64
                " sessions_resumed=%" PRIu64,
                published.get(), delivered.get(), acks.get(), slow_closed.get(), slow_skipped.get(),
                gaps_told.get(), conflated.get(), udp_oversize.get(), udp_undelivered.get(),
                held.get(), seq_jumps.get(), resumes.get(), recovered.get(), unrecovered.get(),
                replayed.get(), duplicates.get(), presence_events.get(), unavailable.get(),
                sessions_kept.get(), sessions_resumed.get());
  return text;
}

// Rooms owned by the shards of this process: the owner is the name's hash modulo the
// shard count; this shard's own rooms are handled in place, others' through the bus.

void RoomHub::attach(Member& member) noexcept {
  member.id_ = next_member_id_++;
  members_.emplace(member.id_, &member);
  if (tokens_ && !member.trusted_ && !member.claims_) {
    schedule_auth(member, core::monotonic_ms() + config_.auth.first_ms, 0 /* first token */);
  }
}

void RoomHub::detach(Member& member) noexcept {
  if (member.durable_) keep_session(member);  // before its rooms are gone
  infos_.erase(member.id_);
  while (!member.memberships_.empty()) remove_membership(member, member.memberships_.size() - 1);
  // Resumes left before their answer name the member: they end with it.
  if (member.left_resuming_) {
    for (size_t i = replays_.size(); i-- > 0;) {
      if (replays_[i]->member == &member) end_replay(replays_[i].get());
    }
  }
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
  if (request.op == proto::RequestOp::kAuth) return auth(member, form, request);
  if (tokens_ && request.op != proto::RequestOp::kPing && !authenticated(member, form, request)) {
    return;
  }
  switch (request.op) {
    case proto::RequestOp::kJoin:
      if (tokens_ && !allowed(member, form, request, false)) return;
      if (tokens_ && member.claims_ && !member.claims_->info.empty()) {
        proto::Request with_info = request;  // the token's info wins over the client's
        with_info.info = member.claims_->info;
        return join(member, form, with_info);
      }
      return join(member, form, request);
    case proto::RequestOp::kLeave:
      return leave(member, form, request);
    case proto::RequestOp::kPub:
      if (tokens_ && !allowed(member, form, request, true)) return;
      return publish(member, form, request);
    case proto::RequestOp::kPresence:
      if (tokens_ && !allowed(member, form, request, false)) return;
      return presence_query(member, form, request);
    case proto::RequestOp::kSession:
      return session(member, form, request);
    case proto::RequestOp::kPing:
      return reply_pong(member, form, request.id);
    case proto::RequestOp::kHello:
      return reply_error(member, form, {proto::ErrorCode::kUnknownOp, "hello is for UDP only"},
                         request.id);
    case proto::RequestOp::kAuth:
      break;  // (above)
  }
}

bool RoomHub::check_join_fields(Member& member, WireForm form,
                                const proto::Request& request) noexcept {
  if (request.info.empty()) return true;
  if (request.info.size() > config_.max_presence_info) {
    reply_error(member, form,
                {proto::ErrorCode::kTooLarge, "info is larger than --max-presence-info"},
                request.id);
    return false;
  }
  // The JSON form's parser has checked it; a binary client's bytes must be one object.
  if (!wire_codec(form).json &&
      (request.info.front() != '{' || !json_.is_valid_value(request.info))) {
    reply_error(member, form, {proto::ErrorCode::kBadJson, "info is not one JSON object"},
                request.id);
    return false;
  }
  return true;
}

void RoomHub::join(Member& member, WireForm form, const proto::Request& request) noexcept {
  for (const Membership& m : member.memberships_) {
    if (m.room->name == request.room) {  // already in: answer as a join would be
      if (m.replaying) {
        return reply_error(member, form,
                           {proto::ErrorCode::kBusy, "a resume of this room is in progress"},
                           request.id);
      }
      if (m.room->active) {
        reply_joined(member, form, *m.room, request.id);
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
  if (!check_join_fields(member, form, request)) return;
  auto it = rooms_.find(request.room);
  bool answer_waits = request.has_since || it == rooms_.end() || !it->second->active;
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
  membership.presence_notices = request.presence;
  if (request.presence) ++room.presence_watchers;
  room.members.push_back({&member, static_cast<uint32_t>(member.memberships_.size())});
  member.memberships_.push_back(membership);
  ++stats_.members_active;
  tell_presence_join(room, member, request.info);
  if (!request.info.empty()) infos_[member.id_].emplace_back(room.name, std::string(request.info));
  if (request.has_since) {
    ask_resume(member, member.memberships_.back(), request);
  } else if (room.active) {
    reply_joined(member, form, room, request.id);
  } else {
    owe_reply(room, member, form, request.id, false);
  }
}

void RoomHub::ask_resume(Member& member, Membership& membership,
                         const proto::Request& request) noexcept {
  auto replay = std::make_unique<PendingReplay>();
  replay->member = &member;
  replay->room = membership.room->name;
  replay->form = membership.form;
  replay->id = std::string(request.id);
  replay->last_sent = request.since;
  membership.replaying = true;
  replay_of_[{member.id_, membership.room}] = replay.get();
  replay->index = replays_.size();
  replays_.push_back(std::move(replay));
  ++member.replies_owed_;
  ++stats_.resumes;
  RoomMessage::Fields fields = fields_from(RoomMessage::Kind::kResume, membership.room->name,
                                           membership.room->hash, member.id_);
  fields.seq = request.since;
  fields.epoch = request.epoch;
  fields.origin_form = membership.form;
  ownership_->resume(RoomMessage::create(fields));
}

void RoomHub::tell_presence_join(LocalRoom& room, Member& member, std::string_view info) noexcept {
  // A leave of this room still batched must reach the owner before this join (the same
  // member may leave and join again within a tick).
  if (!room.presence_leaving.empty()) flush_presence_leaves(room);
  RoomMessage::Fields fields =
      fields_from(RoomMessage::Kind::kPresenceJoin, room.name, room.hash, member.id_);
  fields.data = info;
  ownership_->presence(RoomMessage::create(fields));
}

void RoomHub::flush_presence_leaves(LocalRoom& room) noexcept {
  RoomMessage::Fields fields =
      fields_from(RoomMessage::Kind::kPresenceLeave, room.name, room.hash, 0);
  fields.data = room.presence_leaving;
  ownership_->presence(RoomMessage::create(fields));
  room.presence_leaving.clear();
}

void RoomHub::presence_query(Member& member, WireForm form,
                             const proto::Request& request) noexcept {
  RoomMessage::Fields fields = fields_from(RoomMessage::Kind::kPresenceQuery, request.room,
                                           room_hash(request.room), member.id_);
  fields.id = request.id;
  fields.origin_form = form;
  ownership_->presence(RoomMessage::create(fields));
}

void RoomHub::leave(Member& member, WireForm form, const proto::Request& request) noexcept {
  for (size_t i = 0; i < member.memberships_.size(); ++i) {
    LocalRoom& room = *member.memberships_[i].room;
    if (room.name == request.room) {
      PendingReplay* replay = replay_for(member, member.memberships_[i]);
      if (replay != nullptr && !replay->answered) {
        // Its `joined` is still owed: `left` follows it, when the owner answers.
        remove_membership(member, i, request.id, true);
        return;
      }
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

void RoomHub::remove_membership(Member& member, size_t index, std::string_view leave_id,
                                bool leaving) noexcept {
  std::vector<Membership>& list = member.memberships_;
  Membership gone = list[index];
  LocalRoom& room = *gone.room;
  --stats_.members_active;
  if (PendingReplay* replay = replay_for(member, gone)) {
    replay_of_.erase({member.id_, gone.room});
    list[index].replaying = false;
    if (leaving && !replay->answered) {
      replay->left = true;  // kept until the owner's answer, which it then completes
      replay->left_id = std::string(leave_id);
      member.left_resuming_ = true;
    } else {
      end_replay(replay);
    }
  }
  if (auto infos = infos_.find(member.id_); infos != infos_.end()) {
    std::erase_if(infos->second, [&](const auto& entry) { return entry.first == room.name; });
  }
  if (gone.presence_notices) --room.presence_watchers;
  // The owner's presence set loses it (batched per tick).
  uint64_t id = member.id_;
  room.presence_leaving.append(reinterpret_cast<const char*>(&id), sizeof id);
  if (room.presence_leaving.size() == sizeof id) presence_leaving_.push_back(&room);
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

void RoomHub::log(const Member& member, std::string_view event, std::string_view why) noexcept {
  core::Shard* shard = mailbox_.shard();
  if (shard != nullptr && shard->log_open()) {  // (no line formatted during a flood)
    shard->log(core::LogLevel::kWarn, event,
               "member " + member_name(this->shard(), member.id_) + ": " + std::string(why));
  }
}

bool RoomHub::admit_limited(Member& member, WireForm form, size_t bytes,
                            std::string_view id) noexcept {
  if (member.closing()) return false;
  const core::Shard* shard = mailbox_.shard();
  uint64_t now = shard != nullptr ? shard->now_ms() : 1;
  switch (member.rate_.take(config_.rate_limits, now, bytes)) {
    case RateBucket::Verdict::kPass:
      return true;
    case RateBucket::Verdict::kMessages:
      ++stats_.rate_limited_messages;
      reply_error(member, form, {proto::ErrorCode::kRateLimited, "over --rate-limit-msgs"}, id);
      return false;
    case RateBucket::Verdict::kBytes:
      ++stats_.rate_limited_bytes;
      reply_error(member, form, {proto::ErrorCode::kRateLimited, "over --rate-limit-bytes"}, id);
      return false;
    case RateBucket::Verdict::kCutOff:
      ++stats_.rate_cut_off;
      log(member, "cut_off", "over its rate limits for --rate-limit-grace");
      member.cut_off_rate_limited();
      return false;
  }
  return false;
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
  RoomMessage::Fields fields =
      fields_from(RoomMessage::Kind::kPublish, request.room, room_hash(request.room), member.id_);
  fields.data = request.data;
  fields.id = request.id;
  // Room for the room's epoch, which the owner writes for the ack (RoomMessage::set_epoch).
  static constexpr char kEpochReserve[kEpochChars + 1] = "????????????????";
  if (!request.id.empty()) fields.epoch = {kEpochReserve, kEpochChars};
  fields.key = request.key;
  fields.ckey = request.ckey;
  fields.event = request.event;
  fields.data_is_json = request.data_is_json;
  fields.raw_text = request.raw_text;
  fields.echo = request.echo;
  fields.origin_form = form;
  fields.published_ns = wake_ns();
  ownership_->publish(RoomMessage::create(fields));
  ++stats_.published;
  if (congested()) hold(member);
}

}  // namespace rg::gateway
