// The room hub's deliveries: a message encoded once per wire form and queued to every
// member of the room on this shard, slow members cut off or told their gaps, acks.

#include "gateway/rooms/room_hub.h"

#include "gateway/rooms/wire_codec.h"
#include "proto/envelope/binary_envelope.h"
#include "proto/envelope/json_envelope.h"

namespace rg::gateway {

void RoomHub::acknowledge(const RoomMessage& message) noexcept {
  if (message.origin_shard() != shard() || message.id().empty()) return;
  auto it = members_.find(message.origin_member());
  if (it == members_.end()) return;  // the publisher has gone
  reply_ack(*it->second, message.origin_form(), message.id(), message.seq(), message.duplicate(),
            message.written_epoch());
  ++stats_.acks;
  if (message.duplicate()) ++stats_.duplicates;
}

namespace {

// One message framed for each wire form, encoded when the first member needing that form
// is met, then shared by every member of this shard.
class EncodedForms {
 public:
  explicit EncodedForms(const RoomMessage& message) : message_(message) {}

  const core::BlockRef& get(WireForm form) {
    core::BlockRef& block = blocks_[static_cast<size_t>(form)];
    if (!block) block = encode_message(message_, form);
    return block;
  }

 private:
  const RoomMessage& message_;
  core::BlockRef blocks_[kWireForms];
};

}  // namespace

void RoomHub::deliver(LocalRoom& room, const RoomMessage& message) noexcept {
  EncodedForms forms(message);
  bool from_here = message.origin_shard() == shard();
  // (Only under --slow-consumer=conflate can a member have a conflation queue: other
  // policies do not read the member's pointer for every delivery.)
  bool conflating = config_.slow_consumer == SlowConsumer::kConflate;
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
    if (membership.replaying) {
      queue_behind_replay(member, membership, message);
      continue;
    }
    if (conflating && member.conflation_) {  // messages wait for it: this one goes behind
      conflate(member, message);
      continue;
    }
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
        log(member, "cut_off", "slow consumer: its output is over --max-outbuf");
        member.cut_off_slow();
        continue;
      }
      if (conflating) {
        conflate(member, message);
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
  // Queued here as of this tick's wake: the same clock reading the publisher's shard took.
  uint64_t now_ns = wake_ns();
  uint64_t since = message.published_ns();
  if (since != 0) stats_.publish_to_queued.observe(now_ns > since ? now_ns - since : 0);
}

void RoomHub::conflate(Member& member, const RoomMessage& message) noexcept {
  if (!member.conflation_) {
    member.conflation_ =
        std::make_unique<ConflationQueue>(config_.max_conflated_keys, config_.max_outbuf);
    conflating_.push_back(member.id_);
  }
  switch (member.conflation_->push(message)) {
    case ConflationQueue::Push::kQueued:
      return;
    case ConflationQueue::Push::kReplaced:
      ++stats_.conflated;
      return;
    case ConflationQueue::Push::kFull:
      // More distinct keys, or more messages without a key, than it may have waiting:
      // nothing may be dropped silently, so it goes (and resumes from history).
      ++stats_.slow_closed;
      log(member, "cut_off", "slow consumer: its conflation queue is full");
      member.cut_off_slow();
      return;
  }
}

void RoomHub::drain_conflated() noexcept {
  size_t kept = 0;
  for (uint64_t id : conflating_) {
    auto it = members_.find(id);
    if (it == members_.end()) continue;  // gone (its queue with it)
    Member& member = *it->second;
    if (!member.conflation_) continue;
    if (member.closing()) {
      member.conflation_.reset();
      continue;
    }
    if (member.queued_bytes() > config_.max_outbuf / 2 || !send_conflated(member)) {
      conflating_[kept++] = id;
      continue;
    }
    member.conflation_.reset();  // caught up: live messages go straight out again
  }
  conflating_.resize(kept);
}

bool RoomHub::send_conflated(Member& member) noexcept {
  ConflationQueue& queue = *member.conflation_;
  while (const RoomMessage* message = queue.front()) {
    Membership* membership = nullptr;
    for (Membership& m : member.memberships_) {
      if (m.room->name == message->room()) {
        membership = &m;
        break;
      }
    }
    // Left since (or resuming it again: the replay has it): not owed any more.
    if (membership == nullptr || membership->replaying) {
      queue.pop();
      continue;
    }
    size_t length = encoded_size(*message, membership->form);
    size_t queued = member.queued_bytes();
    if (queued > 0 && queued + length > config_.max_outbuf) return false;
    if (uint64_t replaced = queue.take_replaced(message->room())) {
      reply_conflated(member, membership->form, message->room(), replaced);
    }
    member.send_encoded(encode_message(*message, membership->form), 0, length);
    ++stats_.delivered;
    queue.pop();
  }
  return true;
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

}  // namespace rg::gateway
