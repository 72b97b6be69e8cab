#include "gateway/sio/recovery_positions.h"

#include <gtest/gtest.h>

namespace rg::gateway {
namespace {

SessionRoom room(std::string name, uint64_t first, uint64_t last) {
  SessionRoom r;
  r.room = std::move(name);
  r.epoch = "00ff00ff00ff00ff";
  r.first_seq = first;
  r.last_seq = last;
  return r;
}

// Rooms a (joined at 10) and b (joined at 3); handed: a 11-14, b 4-5, a 15-16, b 6.
SessionRecord record() {
  SessionRecord rec;
  rec.rooms = {room("a", 10, 16), room("b", 3, 6)};
  uint64_t a = room_hash("a"), b = room_hash("b");
  rec.runs = {{a, 11, 14}, {b, 4, 5}, {a, 15, 16}, {b, 6, 6}};
  rec.runs_complete = true;
  return rec;
}

TEST(RecoveryPositions, FromTheOffsetAndTheRunsAfterIt) {
  uint64_t a = room_hash("a"), b = room_hash("b");
  // The client got up to a:13: in a it has 13; in b, everything before the first b run
  // after a's 11-14 run, which started at 4: it has 3.
  auto p = recovery_positions(record(), SioOffset{a, 13});
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, (std::vector<uint64_t>{13, 3}));
  // Up to b:5: a's runs after it start at 15 (has 14); b has 5.
  p = recovery_positions(record(), SioOffset{b, 5});
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, (std::vector<uint64_t>{14, 5}));
  // Up to the last event handed: nothing missed anywhere.
  p = recovery_positions(record(), SioOffset{b, 6});
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, (std::vector<uint64_t>{16, 6}));
}

TEST(RecoveryPositions, WithoutAnOffsetFromTheJoins) {
  auto p = recovery_positions(record(), std::nullopt);
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, (std::vector<uint64_t>{10, 3}));
  SessionRecord forgot = record();
  forgot.runs_complete = false;  // runs were dropped: the joins' seqs no longer suffice
  EXPECT_FALSE(recovery_positions(forgot, std::nullopt));
}

TEST(RecoveryPositions, NothingWhenTheRecordCannotTell) {
  uint64_t a = room_hash("a");
  EXPECT_FALSE(recovery_positions(record(), SioOffset{a, 9}));   // older than every run kept
  EXPECT_FALSE(recovery_positions(record(), SioOffset{a, 17}));  // never handed
  EXPECT_FALSE(recovery_positions(record(), SioOffset{room_hash("c"), 1}));
  SessionRecord unanswered = record();
  unanswered.rooms[1].epoch.clear();  // b's join was never answered
  EXPECT_FALSE(recovery_positions(unanswered, SioOffset{a, 13}));
  EXPECT_FALSE(recovery_positions(SessionRecord{}, std::nullopt));
}

}  // namespace
}  // namespace rg::gateway
