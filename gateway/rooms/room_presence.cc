// The room hub's presence: the owner's answers to queries, and its join and leave notices
// sent on to the members of the room that asked for them (each notice written at most
// once per body format).

#include "gateway/rooms/room_hub.h"

#include <cstring>

#include "gateway/rooms/wire_codec.h"
#include "proto/envelope/binary_envelope.h"

namespace rg::gateway {

namespace {

std::span<const std::byte> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace

void RoomHub::on_presence(const RoomMessage& message) noexcept {
  if (message.kind() == RoomMessage::Kind::kPresenceList) {
    auto it = members_.find(message.origin_member());
    if (it != members_.end() && !it->second->closing()) {
      it->second->send_reply(message.origin_form(), as_bytes(message.data()));
    }
    return;
  }
  auto it = rooms_.find(message.room());
  if (it == rooms_.end()) return;
  LocalRoom& room = *it->second;
  if (room.presence_watchers == 0) return;
  bool self_here = message.joined() && message.origin_shard() == shard();
  auto notify = [&](std::string_view name, std::string_view info) {
    std::string json, binary;  // written when the first member of that format needs it
    for (const LocalRoom::Entry& entry : room.members) {
      Member& member = *entry.member;
      Membership& membership = member.memberships_[entry.membership];
      if (!membership.presence_notices || member.closing()) continue;
      // Not about itself: its own join marks where its notices begin.
      if (self_here && member.id_ == message.origin_member()) {
        membership.presence_live = true;
        continue;
      }
      if (!membership.presence_live) continue;
      // Not before its own `joined`.
      if (membership.replaying && !replay_for(member, membership)->answered) continue;
      std::string& body = wire_codec(membership.form).json ? json : binary;
      if (body.empty()) {
        if (&body == &json) {
          proto::append_json_presence_event(body, room.name, message.joined(), name, info);
        } else {
          proto::bin::append_presence_event(body, room.name, message.joined(), name, info);
        }
      }
      member.send_reply(membership.form, as_bytes(body));
      ++stats_.presence_events;
    }
  };
  if (message.joined()) {
    notify(member_name(message.origin_shard(), message.origin_member()), message.data());
    return;
  }
  std::string_view keys = message.data();  // presence keys of the members gone, u64 each
  for (size_t at = 0; at + sizeof(uint64_t) <= keys.size(); at += sizeof(uint64_t)) {
    uint64_t key;
    std::memcpy(&key, keys.data() + at, sizeof key);
    notify(OwnedRooms::presence_name(key), {});
  }
}

}  // namespace rg::gateway
