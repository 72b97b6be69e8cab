// The room hub's resumes: a join with `since` asks the owner for what the member missed;
// the answer (`joined` with `recovered`, then the messages from history) is sent in order,
// paced by the member's output bound, with the live messages that arrive meanwhile queued
// behind it, so that every seq reaches the member exactly once and in order.

#include "gateway/rooms/room_hub.h"

#include "gateway/rooms/wire_codec.h"

namespace rg::gateway {

void RoomHub::on_replay(const RoomMessage& message) noexcept {
  auto it = members_.find(message.origin_member());
  if (it == members_.end()) return;  // gone meanwhile
  Member& member = *it->second;
  Membership* membership = nullptr;
  PendingReplay* replay = nullptr;
  for (Membership& m : member.memberships_) {
    if (m.replaying && m.room->name == message.room()) {
      PendingReplay* r = replay_for(member, m);
      if (r != nullptr && !r->answered) {
        membership = &m;
        replay = r;
      }
      break;
    }
  }
  if (replay == nullptr) {  // left before the answer
    for (const auto& r : replays_) {
      if (r->left && !r->answered && r->member == &member && r->room == message.room()) {
        replay = r.get();
        break;
      }
    }
    if (replay == nullptr) return;
  }
  --member.replies_owed_;
  replay->answered = true;
  ++replays_sending_;
  ++(message.recovered() ? stats_.recovered : stats_.unrecovered);
  proto::JoinedReply joined;
  joined.room = message.room();
  joined.seq = message.seq();
  joined.epoch = message.epoch();
  std::string name = member_name(shard(), member.id_);  // (not kept: members are many)
  joined.member = name;
  joined.resumed = true;
  joined.recovered = message.recovered();
  reply_joined(member, replay->form, joined, replay->id);
  if (membership == nullptr) {
    reply_left(member, replay->form, message.room(), replay->left_id);
    return end_replay(replay);
  }
  // The ring's order puts every delivery up to the answer's seq before the answer.
  if (membership->room->last_seq != message.seq()) ++stats_.seq_jumps;
  for (size_t i = 0; i < message.replayed(); ++i) {
    RoomMessage* old = message.replayed(i);
    old->retain();
    replay->queue.push_back(old);
  }
  replay->from_history = message.replayed();
  if (pump(*replay)) end_replay(replay);
}

void RoomHub::queue_behind_replay(Member& member, Membership& membership,
                                  const RoomMessage& message) noexcept {
  PendingReplay& replay = *replay_for(member, membership);
  if (!replay.answered) return;  // the answer's seq covers it: replayed, or not owed
  if (replay.gap_from != 0) {    // skipping already (--slow-consumer=drop)
    replay.gap_to = message.seq();
    ++stats_.slow_skipped;
    return;
  }
  if (replay.live_bytes + message.footprint() > config_.max_outbuf) {
    if (config_.slow_consumer == SlowConsumer::kClose) {
      ++stats_.slow_closed;
      member.cut_off_slow();
      return;
    }
    replay.gap_from = replay.gap_to = message.seq();
    ++stats_.slow_skipped;
    return;
  }
  auto& shared = const_cast<RoomMessage&>(message);  // a reference is not a change
  shared.retain();
  replay.queue.push_back(&shared);
  replay.live_bytes += message.footprint();
}

bool RoomHub::pump(PendingReplay& replay) noexcept {
  Member& member = *replay.member;
  const WireCodec& codec = wire_codec(replay.form);
  while (!replay.queue.empty()) {
    if (member.closing()) return false;  // it is going: its session detaches it
    RoomMessage* message = replay.queue.front();
    size_t length = encoded_size(*message, replay.form);
    if (codec.datagram) {
      if (length > config_.max_datagram) {
        ++stats_.udp_oversize;
      } else if (!member.send_encoded(encode_message(*message, replay.form), 0, length)) {
        ++stats_.udp_undelivered;  // no send slot: UDP is lossy, the member sees the gap
      }
    } else {
      size_t queued = member.queued_bytes();
      if (queued > 0 && queued + length > config_.max_outbuf) return false;  // paced
      member.send_encoded(encode_message(*message, replay.form), 0, length);
    }
    replay.last_sent = message->seq();
    if (replay.from_history > 0) {
      --replay.from_history;
      ++stats_.replayed;
    } else {
      replay.live_bytes -= message->footprint();
      ++stats_.delivered;
    }
    replay.queue.pop_front();
    message->release();
  }
  if (replay.gap_from != 0) {
    reply_gap(member, replay.form, replay.room, replay.gap_from, replay.gap_to);
    ++stats_.gaps_told;
  }
  return true;
}

void RoomHub::end_replay(PendingReplay* replay) noexcept {
  for (Membership& m : replay->member->memberships_) {
    if (m.replaying && m.room->name == replay->room) {
      m.replaying = false;  // live delivery goes straight to it again
      replay_of_.erase({replay->member->member_id(), m.room});
    }
  }
  if (replay->answered) {
    --replays_sending_;
  } else {
    --replay->member->replies_owed_;
  }
  size_t index = replay->index;
  std::swap(replays_[index], replays_.back());
  replays_[index]->index = index;
  replays_.pop_back();  // releases what it still held
}

void RoomHub::pump_replays() noexcept {
  // Backwards: ending one moves the last (already visited) into its place.
  for (size_t i = replays_.size(); i-- > 0;) {
    PendingReplay* replay = replays_[i].get();
    if (replay->answered && pump(*replay)) end_replay(replay);
  }
}

}  // namespace rg::gateway
