#include "gateway/rooms/room_owner.h"

#include <gtest/gtest.h>

#include <vector>

namespace rg::gateway {
namespace {

struct Sent {
  unsigned shard;
  RoomMessage::Kind kind;
  uint64_t seq;
};

struct Recorder {
  std::vector<Sent> sent;
  static void send(void* self, unsigned shard, RoomMessage* m) {
    static_cast<Recorder*>(self)->sent.push_back({shard, m->kind(), m->seq()});
    m->release();
  }
};

RoomMessage* pub(std::string_view room, unsigned origin, std::string_view id = {},
                 std::string_view data = "x") {
  RoomMessage::Fields f;
  f.room = room;
  f.room_hash = room_hash(room);
  f.data = data;
  f.id = id;
  f.origin_shard = origin;
  return RoomMessage::create(f);
}

TEST(OwnedRooms, NumbersMessagesAndSendsThemToMemberShardsOnly) {
  Recorder r;
  OwnedRooms owned(4, OwnerLimits{}, &Recorder::send, &r);
  owned.join(1, "a", room_hash("a"));
  owned.join(3, "a", room_hash("a"));
  ASSERT_EQ(r.sent.size(), 2u);
  EXPECT_EQ(r.sent[0].kind, RoomMessage::Kind::kJoined);
  EXPECT_EQ(r.sent[0].seq, 0u);
  r.sent.clear();
  owned.publish(pub("a", 0));
  owned.publish(pub("a", 0, "id"));  // shard 0 is not a member: it gets the message for its ack
  ASSERT_EQ(r.sent.size(), 5u);
  EXPECT_EQ(r.sent[0].shard, 1u);
  EXPECT_EQ(r.sent[1].shard, 3u);
  EXPECT_EQ(r.sent[1].seq, 1u);
  EXPECT_EQ(r.sent[2].shard, 0u);
  EXPECT_EQ(r.sent[2].seq, 2u);
  owned.leave(1, "a");
  r.sent.clear();
  owned.publish(pub("a", 2));
  ASSERT_EQ(r.sent.size(), 1u);
  EXPECT_EQ(r.sent[0].shard, 3u);
  EXPECT_EQ(r.sent[0].seq, 3u);
  // A shard joining later is told the last seq, and only later messages follow.
  r.sent.clear();
  owned.join(2, "a", room_hash("a"));
  EXPECT_EQ(r.sent[0].seq, 3u);
}

TEST(OwnedRooms, HistoryIsBoundedByCountAndBytes) {
  Recorder r;
  OwnerLimits limits;
  limits.history = 5;
  limits.history_bytes = 1 << 20;
  OwnedRooms owned(1, limits, &Recorder::send, &r);
  for (int i = 0; i < 12; ++i) owned.publish(pub("h", 0));
  const OwnedRooms::Room* room = owned.find("h");
  ASSERT_NE(room, nullptr);
  ASSERT_EQ(room->history.size(), 5u);
  EXPECT_EQ(room->history.front()->seq(), 8u);
  EXPECT_EQ(room->history.back()->seq(), 12u);

  limits.history = 100;
  limits.history_bytes = 3000;
  OwnedRooms by_bytes(1, limits, &Recorder::send, &r);
  std::string big(1000, 'b');
  for (int i = 0; i < 10; ++i) by_bytes.publish(pub("h", 0, {}, big));
  room = by_bytes.find("h");
  EXPECT_LE(room->history_bytes, 3000u);
  EXPECT_EQ(room->history.back()->seq(), 10u);
  EXPECT_GE(room->history.size(), 1u);
}

TEST(OwnedRooms, AllHistoryOfTheShardIsBoundedColdestRoomsFirst) {
  Recorder r;
  OwnerLimits limits;
  limits.history = 100;
  limits.history_bytes = 1 << 20;
  limits.history_total_bytes = 20000;
  OwnedRooms owned(1, limits, &Recorder::send, &r);
  std::string big(1000, 'b');
  // 50 rooms of 3 messages each would be far over the budget.
  for (int n = 0; n < 3; ++n) {
    for (int i = 0; i < 50; ++i) owned.publish(pub("r" + std::to_string(i), 0, {}, big));
    EXPECT_LE(owned.history_bytes(), limits.history_total_bytes);
  }
  // Each room's newest messages are kept, the least recently published rooms emptied.
  EXPECT_TRUE(owned.find("r0")->history.empty());
  const OwnedRooms::Room* hot = owned.find("r49");
  ASSERT_FALSE(hot->history.empty());
  EXPECT_EQ(hot->history.back()->seq(), 3u);
  // A message larger than the whole budget is still kept as its room's latest.
  std::string huge(30000, 'h');
  owned.publish(pub("huge", 0, {}, huge));
  ASSERT_EQ(owned.find("huge")->history.size(), 1u);
  EXPECT_TRUE(owned.find("r49")->history.empty());
  // The sum of the rooms' histories is what the table counts.
  size_t sum = 0;
  for (int i = 0; i < 50; ++i) sum += owned.find("r" + std::to_string(i))->history_bytes;
  EXPECT_EQ(sum + owned.find("huge")->history_bytes, owned.history_bytes());
}

TEST(OwnedRooms, ForgettingAnIdleRoomReleasesItsHistoryBudget) {
  Recorder r;
  OwnerLimits limits;
  limits.max_idle_rooms = 2;
  OwnedRooms owned(1, limits, &Recorder::send, &r);
  for (int i = 0; i < 10; ++i) owned.publish(pub("idle" + std::to_string(i), 0, {}, "data"));
  size_t left = 0;
  for (int i = 0; i < 10; ++i) {
    if (const OwnedRooms::Room* room = owned.find("idle" + std::to_string(i)))
      left += room->history_bytes;
  }
  EXPECT_EQ(owned.history_bytes(), left);
  // The list of rooms with history stays sound after rooms are forgotten (ASan checks).
  for (int i = 0; i < 10; ++i) owned.publish(pub("again" + std::to_string(i), 0, {}, "data"));
}

TEST(OwnedRooms, ForgetsTheOldestRoomsWithoutMembers) {
  Recorder r;
  OwnerLimits limits;
  limits.max_idle_rooms = 3;
  OwnedRooms owned(2, limits, &Recorder::send, &r);
  owned.join(1, "kept", room_hash("kept"));  // has a member: never forgotten
  for (int i = 0; i < 10; ++i) owned.publish(pub("idle" + std::to_string(i), 0));
  EXPECT_NE(owned.find("kept"), nullptr);
  EXPECT_EQ(owned.find("idle0"), nullptr);
  EXPECT_NE(owned.find("idle9"), nullptr);
  EXPECT_LE(owned.size(), 1u + 3u);
}

// Rooms with neither members nor publishes for --idle-room-ttl are forgotten with their
// history, so memory falls with the load; a room still published to is kept.
TEST(OwnedRooms, ForgetsRoomsIdleForTheirTtl) {
  Recorder r;
  OwnerLimits limits;
  limits.idle_room_ttl_ms = 1000;
  OwnedRooms owned(2, limits, &Recorder::send, &r);
  owned.set_now(10000);
  owned.publish(pub("quiet", 0, {}, "xxxx"));
  owned.publish(pub("busy", 0));
  owned.join(1, "member", room_hash("member"));
  EXPECT_EQ(owned.size(), 3u);
  owned.set_now(10999);
  EXPECT_EQ(owned.forget_expired(), 0u);
  owned.publish(pub("busy", 0));  // keeps "busy" alive past the first TTL
  owned.set_now(11000);
  EXPECT_EQ(owned.forget_expired(), 1u);
  EXPECT_EQ(owned.find("quiet"), nullptr);
  ASSERT_NE(owned.find("busy"), nullptr);
  EXPECT_NE(owned.find("member"), nullptr);  // has a member: never expires
  owned.set_now(13000);
  EXPECT_EQ(owned.forget_expired(), 1u);
  EXPECT_EQ(owned.find("busy"), nullptr);
  EXPECT_EQ(owned.history_bytes(), 0u);
  EXPECT_NE(owned.find("member"), nullptr);
  // A room that lost its last member is timed from then.
  owned.leave(1, "member");
  owned.set_now(13999);
  EXPECT_EQ(owned.forget_expired(), 0u);
  owned.set_now(14000);
  EXPECT_EQ(owned.forget_expired(), 1u);
  EXPECT_EQ(owned.size(), 0u);
}

}  // namespace
}  // namespace rg::gateway
