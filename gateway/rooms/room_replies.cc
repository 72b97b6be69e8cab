// The room hub's replies, in each member's wire form, and the joins and leaves whose
// answers wait (in order) for their rooms' owners.

#include "gateway/rooms/room_hub.h"

#include "gateway/rooms/wire_codec.h"
#include "proto/envelope/binary_envelope.h"

namespace rg::gateway {

namespace {

// Joins and leaves one member may have waiting for their rooms' owners (a room's first
// join on a shard is answered once its owner has told the last seq); beyond it: `busy`.
// Bounds what a client can make the hub hold while an owner is slow to answer.
constexpr uint32_t kMaxOwedReplies = 256;

std::span<const std::byte> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace

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

void RoomHub::reply_joined(Member& member, WireForm form, const LocalRoom& room,
                           std::string_view id) noexcept {
  proto::JoinedReply joined;
  joined.room = room.name;
  joined.seq = room.last_seq;
  joined.epoch = room.epoch;
  std::string name = member_name(shard(), member.id_);  // (not kept: members are many)
  joined.member = name;
  reply_joined(member, form, joined, id);
}

void RoomHub::reply_joined(Member& member, WireForm form, const proto::JoinedReply& joined,
                           std::string_view id) noexcept {
  reply(
      member, form, [&](std::string& o) { proto::append_json_joined(o, joined, id); },
      [&](std::byte* o) {
        return proto::bin::write_joined(o, joined.room, joined.seq, joined.epoch, joined.member,
                                        joined.resumed, joined.recovered, id);
      });
}

void RoomHub::reply_left(Member& member, WireForm form, std::string_view room,
                         std::string_view id) noexcept {
  reply(
      member, form, [&](std::string& o) { proto::append_json_left(o, room, id); },
      [&](std::byte* o) { return proto::bin::write_left(o, room, id); });
}

void RoomHub::reply_ack(Member& member, WireForm form, std::string_view id, uint64_t seq,
                        bool duplicate, std::string_view epoch) noexcept {
  reply(
      member, form, [&](std::string& o) { proto::append_json_ack(o, id, seq, duplicate, epoch); },
      [&](std::byte* o) { return proto::bin::write_ack(o, id, seq, duplicate); });
}

void RoomHub::reply_gap(Member& member, WireForm form, std::string_view room, uint64_t from,
                        uint64_t to) noexcept {
  reply(
      member, form, [&](std::string& o) { proto::append_json_gap(o, room, from, to); },
      [&](std::byte* o) { return proto::bin::write_gap(o, room, from, to); });
}

void RoomHub::reply_conflated(Member& member, WireForm form, std::string_view room,
                              uint64_t count) noexcept {
  reply(
      member, form, [&](std::string& o) { proto::append_json_conflated(o, room, count); },
      [&](std::byte* o) { return proto::bin::write_conflated(o, room, count); });
}

void RoomHub::reply_pong(Member& member, WireForm form, std::string_view id) noexcept {
  reply(
      member, form, [&](std::string& o) { proto::append_json_pong(o, id); },
      [&](std::byte* o) { return proto::bin::write_pong(o, id); });
}

void RoomHub::reply_session(Member& member, WireForm form, std::string_view token, bool resumed,
                            std::string_view id) noexcept {
  reply(
      member, form, [&](std::string& o) { proto::append_json_session(o, token, resumed, id); },
      [&](std::byte* o) { return proto::bin::write_session(o, token, resumed, id); });
}

void RoomHub::reply_auth(Member& member, WireForm form, const proto::JwtClaims& claims,
                         std::string_view id) noexcept {
  reply(
      member, form, [&](std::string& o) { proto::append_json_auth(o, claims.sub, claims.exp, id); },
      [&](std::byte* o) { return proto::bin::write_auth(o, claims.sub, claims.exp, id); });
}

}  // namespace rg::gateway
