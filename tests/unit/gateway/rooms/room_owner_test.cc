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

// Keeps what the owner sends, with its references, for a closer look.
struct Keeper {
  std::vector<std::pair<unsigned, RoomMessage*>> sent;
  static void send(void* self, unsigned shard, RoomMessage* m) {
    static_cast<Keeper*>(self)->sent.emplace_back(shard, m);
  }
  ~Keeper() {
    for (auto& [shard, m] : sent) m->release();
  }
  RoomMessage* last() const { return sent.back().second; }
};

RoomMessage* resume(std::string_view room, uint64_t since, std::string_view epoch) {
  RoomMessage::Fields f;
  f.kind = RoomMessage::Kind::kResume;
  f.room = room;
  f.room_hash = room_hash(room);
  f.seq = since;
  f.epoch = epoch;
  f.origin_member = 9;
  return RoomMessage::create(f);
}

TEST(OwnedRooms, EpochsDifferPerRoomAndPerStartOfItsSequence) {
  Keeper k;
  OwnerLimits limits;
  limits.max_idle_rooms = 1;
  OwnedRooms owned(1, limits, &Keeper::send, &k);
  owned.join(0, "a", room_hash("a"));
  std::string a(k.last()->epoch());
  owned.join(0, "b", room_hash("b"));
  EXPECT_EQ(a.size(), 16u);
  EXPECT_NE(a, std::string(k.last()->epoch()));
  owned.leave(0, "a");
  owned.leave(0, "b");  // "a" is forgotten (one idle room is remembered)
  ASSERT_EQ(owned.find("a"), nullptr);
  owned.join(0, "a", room_hash("a"));
  EXPECT_NE(a, std::string(k.last()->epoch())) << "a room used again starts a new sequence";
}

TEST(OwnedRooms, AResumeIsAnsweredWithReferencesToHistoryOrNothing) {
  Keeper k;
  OwnerLimits limits;
  limits.history = 10;
  limits.max_replay = 6;
  OwnedRooms owned(1, limits, &Keeper::send, &k);
  owned.join(0, "r", room_hash("r"));
  std::string epoch(k.last()->epoch());
  for (int i = 0; i < 20; ++i) owned.publish(pub("r", 0));  // history: 11..20
  auto answer = [&](uint64_t since, std::string_view e) {
    RoomMessage* request = resume("r", since, e);
    owned.resume(0, *request);
    request->release();
    return k.last();
  };
  RoomMessage* ok = answer(15, epoch);
  EXPECT_EQ(ok->kind(), RoomMessage::Kind::kReplay);
  EXPECT_TRUE(ok->recovered());
  EXPECT_EQ(ok->seq(), 20u);
  EXPECT_EQ(ok->origin_member(), 9u);
  ASSERT_EQ(ok->replayed(), 5u);
  EXPECT_EQ(ok->replayed(0)->seq(), 16u);
  EXPECT_EQ(ok->replayed(4)->seq(), 20u);
  EXPECT_EQ(ok->replayed(0)->references(), 3u);  // history, the replay, the delivery kept here
  EXPECT_TRUE(answer(20, epoch)->recovered());   // nothing missed
  EXPECT_EQ(k.last()->replayed(), 0u);
  EXPECT_TRUE(answer(15, "")->recovered());      // no epoch given
  EXPECT_FALSE(answer(13, epoch)->recovered());  // 7 > --max-replay
  EXPECT_FALSE(answer(5, epoch)->recovered());   // older than the history
  EXPECT_FALSE(answer(15, "ffffffffffffffff")->recovered());
  EXPECT_FALSE(answer(21, epoch)->recovered());  // ahead of the room
  EXPECT_EQ(k.last()->replayed(), 0u);
}

TEST(OwnedRooms, KeysAreRememberedWithinTheirLimits) {
  Keeper k;
  OwnerLimits limits;
  limits.dedupe_keys = 3;
  limits.dedupe_window_ms = 1000;
  OwnedRooms owned(2, limits, &Keeper::send, &k);
  owned.join(1, "r", room_hash("r"));
  auto keyed = [&](std::string_view key) {
    RoomMessage::Fields f;
    f.room = "r";
    f.room_hash = room_hash("r");
    f.data = "1";
    f.id = "i";
    f.key = key;
    f.origin_shard = 0;
    owned.publish(RoomMessage::create(f));
    return k.last();
  };
  owned.set_now(0);
  EXPECT_FALSE(keyed("a")->duplicate());
  RoomMessage* again = keyed("a");
  EXPECT_TRUE(again->duplicate());
  EXPECT_EQ(again->seq(), 1u);
  EXPECT_EQ(k.sent.back().first, 0u);  // only to the publisher's shard, for its ack
  EXPECT_EQ(owned.find("r")->last_seq, 1u);
  keyed("b");
  keyed("c");
  keyed("d");                             // "a" is pushed out (3 keys per room)
  EXPECT_FALSE(keyed("a")->duplicate());  // so it is published again
  owned.set_now(5000);                    // past the window: all forgotten
  EXPECT_FALSE(keyed("d")->duplicate());
}

TEST(OwnedRooms, PresenceIsCountedOverShardsAndChangesGoToMemberShards) {
  Keeper k;
  OwnedRooms owned(3, OwnerLimits{}, &Keeper::send, &k);
  owned.join(1, "p", room_hash("p"));
  owned.join(2, "p", room_hash("p"));
  auto notice = [&](RoomMessage::Kind kind, unsigned shard, uint64_t member,
                    std::string_view data) {
    RoomMessage::Fields f;
    f.kind = kind;
    f.room = "p";
    f.room_hash = room_hash("p");
    f.origin_shard = shard;
    f.origin_member = member;
    f.data = data;
    f.id = "7";
    RoomMessage* m = RoomMessage::create(f);
    if (kind == RoomMessage::Kind::kPresenceJoin) owned.presence_join(shard, *m);
    if (kind == RoomMessage::Kind::kPresenceLeave) owned.presence_leave(shard, *m);
    if (kind == RoomMessage::Kind::kPresenceQuery) owned.presence_query(shard, *m);
    m->release();
  };
  size_t before = k.sent.size();
  notice(RoomMessage::Kind::kPresenceJoin, 1, 4, R"({"n":"x"})");
  notice(RoomMessage::Kind::kPresenceJoin, 2, 4, "");
  ASSERT_EQ(k.sent.size(), before + 4);  // each join to both member shards
  EXPECT_EQ(k.last()->kind(), RoomMessage::Kind::kPresenceEvent);
  EXPECT_TRUE(k.last()->joined());
  EXPECT_EQ(owned.find("p")->presence.size(), 2u);
  uint64_t gone = 4;
  notice(RoomMessage::Kind::kPresenceLeave, 1, 0,
         std::string_view(reinterpret_cast<const char*>(&gone), sizeof gone));
  EXPECT_FALSE(k.last()->joined());
  notice(RoomMessage::Kind::kPresenceQuery, 0, 1, "");
  EXPECT_EQ(k.last()->kind(), RoomMessage::Kind::kPresenceList);
  EXPECT_EQ(k.sent.back().first, 0u);
  EXPECT_EQ(
      k.last()->data(),
      R"({"op":"presence","room":"p","id":7,"count":1,"members":[{"member":"2.4","info":{}}]})");
}

}  // namespace
}  // namespace rg::gateway
