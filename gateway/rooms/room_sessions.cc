// The room hub's durable sessions, owned by its shard's SessionTable: a connection that
// asked for one holds it live; when it goes away it leaves a record of its rooms (each
// with the room's epoch and the last seq handed to it) there; a new connection, on any shard, takes
// the record back by its token (through the mailbox when another shard keeps it) and is joined
// again to every room with `since`, so it resumes each from history (gateway/sessions/).

#include <algorithm>

#include "core/shard/clock.h"
#include "gateway/rooms/room_hub.h"

namespace rg::gateway {

void RoomHub::session(Member& member, WireForm form, const proto::Request& request) noexcept {
  if (!sessions_.enabled()) {
    return reply_error(member, form,
                       {proto::ErrorCode::kBadRequest, "sessions are off (--session-ttl 0)"},
                       request.id);
  }
  if (LiveSession* live = member.durable_ ? sessions_.live(member.id_) : nullptr) {
    if (!request.session.empty() || live->taking) {
      return reply_error(member, form,
                         {proto::ErrorCode::kBadRequest, "the connection has a session already"},
                         request.id);
    }
    return reply_session(member, form, live->token, false, request.id);
  }
  member.durable_ = true;
  LiveSession& live = sessions_.open(member.id_);
  if (request.session.empty()) return reply_session(member, form, live.token, false, request.id);
  live.taking = true;
  live.form = form;
  live.request_id = std::string(request.id);
  json_.for_each_offset(
      request,
      [](void* self, std::string_view room, uint64_t seq) {
        static_cast<LiveSession*>(self)->offsets.emplace_back(std::string(room), seq);
      },
      &live);
  int home = SessionTable::home_of(request.session, mailbox_.shards());
  if (home == static_cast<int>(shard())) {
    return resume_session(member, sessions_.take(request.session, core::monotonic_ms()));
  }
  if (home < 0) return resume_session(member, std::nullopt);  // not a token of ours
  mailbox_.send(static_cast<unsigned>(home), core::kRequestLane,
                new SessionMessage(SessionMessage::Kind::kTake, std::string(request.session),
                                   shard(), member.id_));
}

void RoomHub::on_session_bus(void* self, unsigned from, unsigned, core::BusMessage* bus) noexcept {
  auto& hub = *static_cast<RoomHub*>(self);
  auto* message = static_cast<SessionMessage*>(bus);  // the topic says what it is
  if (message->kind == SessionMessage::Kind::kTake) {
    auto* answer = new SessionMessage(SessionMessage::Kind::kRecord, message->token,
                                      message->origin_shard, message->origin_member);
    if (auto record = hub.sessions_.take(message->token, core::monotonic_ms())) {
      answer->found = true;
      answer->record = record->serialize();
    }
    hub.mailbox_.send(from, core::kReplyLane, answer);
  } else {
    auto it = hub.members_.find(message->origin_member);
    LiveSession* live =
        it != hub.members_.end() && it->second->durable_ ? hub.sessions_.live(it->first) : nullptr;
    if (live != nullptr && live->taking) {
      std::optional<SessionRecord> record;
      if (message->found) record = SessionRecord::parse(message->record);
      hub.resume_session(*it->second, std::move(record));
    }
  }
  message->release();
}

void RoomHub::resume_session(Member& member, std::optional<SessionRecord> record) noexcept {
  LiveSession& live = *sessions_.live(member.id_);  // taking: it is live
  live.taking = false;
  live.token = sessions_.issue();  // the session's home is now this shard
  reply_session(member, live.form, live.token, record.has_value(), live.request_id);
  if (!record) return;
  ++stats_.sessions_resumed;
  const WireForm form = live.form;
  std::vector<std::pair<std::string, uint64_t>> offsets = std::move(live.offsets);
  live.offsets.clear();
  // Each room again, with `since`: the client's own last seq when it gave one (exact),
  // else the last seq the gateway handed to the old connection.
  for (const SessionRoom& room : record->rooms) {
    proto::Request join;
    join.op = proto::RequestOp::kJoin;
    join.room = room.room;
    join.info = room.info;
    join.presence = room.presence;
    auto given = std::find_if(offsets.begin(), offsets.end(),
                              [&](const auto& o) { return o.first == room.room; });
    if (!room.epoch.empty()) {
      join.has_since = true;
      join.since = given != offsets.end() ? given->second : room.last_seq;
      join.epoch = room.epoch;
    }
    this->join(member, form, join);
  }
}

void RoomHub::keep_session(Member& member) noexcept {
  member.durable_ = false;
  LiveSession* live = sessions_.live(member.id_);
  if (live == nullptr) return;
  if (live->taking) {  // its record is in flight toward it: the session ends here
    sessions_.close(member.id_, std::nullopt, core::monotonic_ms());
    return;
  }
  SessionRecord record;
  auto infos = infos_.find(member.id_);
  for (const Membership& m : member.memberships_) {
    SessionRoom room;
    room.room = m.room->name;
    room.form = m.form;
    room.presence = m.presence_notices;
    if (m.room->active) {
      room.epoch = m.room->epoch;
      // What was handed to the connection: all of the room's messages up to its last,
      // less a gap not yet told, or a replay's progress.
      room.last_seq = m.room->last_seq;
      if (m.gap_from != 0) room.last_seq = m.gap_from - 1;
      if (PendingReplay* replay = replay_for(member, m)) {
        room.last_seq = replay->last_sent;
        if (!replay->answered) room.epoch = {};  // its epoch is not known here yet
      }
    }
    if (infos != infos_.end()) {
      for (const auto& [name, info] : infos->second) {
        if (name == room.room) room.info = info;
      }
    }
    record.rooms.push_back(std::move(room));
  }
  sessions_.close(member.id_, std::move(record), core::monotonic_ms());
  ++stats_.sessions_kept;
}

}  // namespace rg::gateway
