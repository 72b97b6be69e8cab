// Socket.IO's connection state recovery, made to hold where the reference's does not.
//
// Each room message a socket is given carries its offset, "<room hash>:<seq>" (the
// kSioOffsets wire form); the client keeps the last one it received. The session notes,
// per room, the seq it joined at and the last it handed over, and the runs of messages it
// handed (consecutive messages of one room are one run; the last 64 runs are kept). When
// the session goes without a DISCONNECT, that state becomes a record on the shard its pid
// names, for --sio-recovery. A CONNECT carrying the pid (and the offset, if the client got
// anything) takes the record back, on whichever shard the new session is: from the
// offset and the runs after it, the session knows where the client stood in every room,
// joins each again with `since` (the resume path of the gateway protocol), and holds
// back what the rooms deliver until every room has answered recovered and replayed. Then
// the missed events go out, then the CONNECT reply with the old socket id and pid.
// Anything less (a room not recovered, an offset no longer among the runs, more than
// --max-outbuf to replay) gives a fresh socket, with nothing replayed.

#include <algorithm>

#include "core/shard/shard.h"
#include "gateway/rooms/room_hub.h"
#include "gateway/rooms/wire_codec.h"
#include "gateway/sio/eio_session.h"
#include "gateway/sio/eio_sid.h"
#include "gateway/sio/recovery_positions.h"
#include "gateway/sio/sio_service.h"

namespace rg::gateway {

void EioSession::note_delivery(const std::byte* text, size_t size) noexcept {
  // The text ends with ,"<16 hex>:<seq>"]
  std::string_view s(reinterpret_cast<const char*>(text), size);
  if (s.size() < 22 || s.back() != ']' || s[s.size() - 2] != '"') return;
  size_t open = s.rfind('"', s.size() - 3);
  if (open == std::string_view::npos) return;
  uint64_t hash = 0, seq = 0;
  if (!parse_sio_offset(s.substr(open + 1, s.size() - 3 - open), hash, seq)) return;
  for (SioRoom& room : rooms_) {
    if (room.hash == hash) room.last_seq = std::max(room.last_seq, seq);
  }
  if (!runs_.empty() && runs_.back().room_hash == hash && runs_.back().last + 1 == seq) {
    runs_.back().last = seq;
    return;
  }
  if (runs_.size() == kMaxRuns) {
    runs_.pop_front();
    runs_complete_ = false;
  }
  runs_.push_back({hash, seq, seq});
}

void EioSession::note_reply(std::string_view op, simdjson::dom::object reply) noexcept {
  std::string_view name;
  if (reply["room"].get_string().get(name)) return;
  auto room =
      std::find_if(rooms_.begin(), rooms_.end(), [&](const SioRoom& r) { return r.name == name; });
  if (op == "joined") {
    if (room == rooms_.end()) {
      rooms_.push_back({});
      room = rooms_.end() - 1;
      room->name = std::string(name);
      room->hash = room_hash(name);
    }
    uint64_t seq = 0;
    std::string_view epoch;
    if (reply["seq"].get_uint64().get(seq) || reply["epoch"].get_string().get(epoch)) return;
    bool recovered = false;
    bool resumed = !reply["recovered"].get_bool().get(recovered);
    if (!resumed || !recovered) {
      room->first_seq = room->last_seq = seq;  // live from S+1
    }
    room->epoch = std::string(epoch);
    room->joined = true;
    if (recovery_ == Recovery::kJoining && resumed) {
      if (!recovered) all_recovered_ = false;
      replay_targets_.emplace_back(room->hash, seq);
      if (joins_waiting_ > 0) --joins_waiting_;
      maybe_finish_recovery();
    }
  } else if (op == "left") {
    if (room != rooms_.end()) rooms_.erase(room);
  } else if (op == "error" && recovery_ == Recovery::kJoining) {
    // A rejoin refused (the room's owner unreachable, too many rooms): not whole.
    all_recovered_ = false;
    if (joins_waiting_ > 0) --joins_waiting_;
    maybe_finish_recovery();
  }
}

SessionRecord EioSession::record() const {
  SessionRecord record;
  record.name = socket_id_;
  for (const SioRoom& r : rooms_) {
    SessionRoom room;
    room.room = r.name;
    room.epoch = r.joined ? r.epoch : std::string();
    room.first_seq = r.first_seq;
    room.last_seq = r.last_seq;
    room.info = r.info;
    room.presence = r.presence;
    room.form = WireForm::kSioOffsets;
    record.rooms.push_back(std::move(room));
  }
  record.runs.assign(runs_.begin(), runs_.end());
  record.runs_complete = runs_complete_;
  return record;
}

std::optional<std::vector<uint64_t>> recovery_positions(const SessionRecord& record,
                                                        std::optional<SioOffset> offset) {
  if (record.rooms.empty()) return std::nullopt;
  const std::vector<SessionRun>& runs = record.runs;
  size_t after = 0;  // the runs from here on may not have reached the client
  if (offset) {
    size_t i = runs.size();
    while (true) {
      if (i == 0) return std::nullopt;  // the offset is older than every run kept
      --i;
      if (runs[i].room_hash == offset->room_hash && runs[i].first <= offset->seq &&
          offset->seq <= runs[i].last) {
        break;
      }
    }
    after = i + 1;
  } else if (!record.runs_complete) {
    return std::nullopt;  // nothing received, but runs since the joins were forgotten
  }
  std::vector<uint64_t> positions;
  for (const SessionRoom& room : record.rooms) {
    if (room.epoch.empty()) return std::nullopt;  // joined, never answered: unknown
    if (!offset) {
      positions.push_back(room.first_seq);
      continue;
    }
    uint64_t hash = room_hash(room.room);
    uint64_t position = hash == offset->room_hash ? offset->seq : room.last_seq;
    for (size_t r = after; r < runs.size(); ++r) {
      if (runs[r].room_hash == hash) {
        position = std::min(position, runs[r].first - 1);
        break;
      }
    }
    positions.push_back(position);
  }
  return positions;
}

void EioSession::start_recovery(std::string_view pid, std::string_view offset,
                                bool has_offset) noexcept {
  recovery_ = Recovery::kTaking;
  pid_ = std::string(pid);
  offset_ = std::string(offset);
  has_offset_ = has_offset;
  service_.take_record(*this, pid_);
}

void EioSession::resume_from(std::optional<SessionRecord> record) noexcept {
  if (closed_ || recovery_ != Recovery::kTaking) return;
  std::optional<std::vector<uint64_t>> positions;
  if (record) {
    std::optional<SioOffset> offset;
    SioOffset given{};
    if (has_offset_) {
      if (parse_sio_offset(offset_, given.room_hash, given.seq)) offset = given;
    }
    if (!has_offset_ || offset) positions = recovery_positions(*record, offset);
  }
  if (!positions) return finish_recovery(false);
  const std::vector<uint64_t>& since = *positions;
  recovered_name_ = record->name;
  recovery_ = Recovery::kJoining;
  all_recovered_ = true;
  joins_waiting_ = record->rooms.size();
  replay_targets_.clear();
  WireForm form = WireForm::kSioOffsets;
  for (size_t i = 0; i < record->rooms.size() && !closed_; ++i) {
    const SessionRoom& room = record->rooms[i];
    SioRoom mine;
    mine.name = room.room;
    mine.hash = room_hash(room.room);
    mine.first_seq = room.first_seq;
    mine.last_seq = since[i];
    mine.info = room.info;
    mine.presence = room.presence;
    rooms_.push_back(std::move(mine));
    proto::Request join;
    join.op = proto::RequestOp::kJoin;
    join.room = room.room;
    join.has_since = true;
    join.since = since[i];
    join.epoch = room.epoch;
    join.info = room.info;
    join.presence = room.presence;
    service_.hub().handle(*this, form, join);
  }
}

void EioSession::maybe_finish_recovery() noexcept {
  if (recovery_ != Recovery::kJoining || joins_waiting_ > 0) return;
  if (all_recovered_) {
    for (const auto& [hash, target] : replay_targets_) {
      for (const SioRoom& room : rooms_) {
        if (room.hash == hash && room.last_seq < target) return;  // still replaying
      }
    }
  }
  // Called from the hub's answers and deliveries: the end (which may leave every room)
  // waits for the end of the tick, out of the hub's hands.
  finish_due_ = true;
  list_for_flush();
}

void EioSession::finish_recovery(bool recovered) noexcept {
  finish_due_ = false;
  recovery_ = Recovery::kNone;
  std::vector<Held> held = std::move(held_);
  held_.clear();
  held_bytes_ = 0;
  if (!recovered) {
    // A fresh socket: no rooms, nothing replayed, a new id and pid.
    leave_all_rooms();
    runs_.clear();
    runs_complete_ = true;
    pid_ = service_.issue_pid();
    connected_ = true;
    service_.count_recovery(false);
    return reply_connect(issue_sid(service_.hub().shard()));
  }
  connected_ = true;
  for (const Held& h : held) send_now(h.block, h.offset, h.length);
  service_.count_recovery(true);
  reply_connect(recovered_name_);
}

}  // namespace rg::gateway
