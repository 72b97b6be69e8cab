#include "gateway/sessions/session_table.h"

#include <gtest/gtest.h>

#include <set>

namespace rg::gateway {
namespace {

SessionRecord record_of(std::string room, uint64_t seq) {
  SessionRecord record;
  SessionRoom r;
  r.room = std::move(room);
  r.last_seq = seq;
  r.epoch = "00ff00ff00ff00ff";
  r.info = R"({"n":1})";
  r.presence = true;
  r.form = WireForm::kTcp;
  record.rooms.push_back(r);
  return record;
}

TEST(SessionTable, TokensNameTheirHomeAndAreUnguessable) {
  SessionTable table(3, 10, 1000);
  std::set<std::string> tokens;
  for (int i = 0; i < 1000; ++i) {
    std::string token = table.issue();
    EXPECT_EQ(SessionTable::home_of(token, 4), 3);
    EXPECT_EQ(token.size(), 2u + 32u);
    tokens.insert(token);
  }
  EXPECT_EQ(tokens.size(), 1000u);
  EXPECT_EQ(SessionTable::home_of("4-abc", 4), -1);  // no such shard
  EXPECT_EQ(SessionTable::home_of("x-abc", 4), -1);
  EXPECT_EQ(SessionTable::home_of("1", 4), -1);
  EXPECT_EQ(SessionTable::home_of("", 4), -1);
}

TEST(SessionTable, OwnsALiveSessionUntilItsConnectionGoes) {
  SessionTable table(1, 10, 1000);
  EXPECT_EQ(table.live(7), nullptr);
  LiveSession& live = table.open(7);
  EXPECT_EQ(SessionTable::home_of(live.token, 2), 1);
  std::string token = live.token;
  ASSERT_NE(table.live(7), nullptr);
  EXPECT_EQ(table.live(7)->token, token);
  EXPECT_EQ(table.live_count(), 1u);
  EXPECT_EQ(table.size(), 0u);  // nothing kept while it is live
  EXPECT_FALSE(table.take(token, 0).has_value());

  table.close(7, record_of("r", 5), 0);  // the connection went away: kept under its token
  EXPECT_EQ(table.live(7), nullptr);
  EXPECT_EQ(table.live_count(), 0u);
  auto record = table.take(token, 10);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->rooms.at(0).last_seq, 5u);

  table.open(8);
  table.close(8, std::nullopt, 0);  // no record (its resume was in flight): forgotten
  EXPECT_EQ(table.live_count(), 0u);
  EXPECT_EQ(table.size(), 0u);
}

TEST(SessionTable, ARecordIsTakenOnceWithinItsTtl) {
  SessionTable table(0, 10, 1000);
  table.keep("0-a", record_of("r", 7), 100);
  auto taken = table.take("0-a", 500);
  ASSERT_TRUE(taken);
  ASSERT_EQ(taken->rooms.size(), 1u);
  EXPECT_EQ(taken->rooms[0].last_seq, 7u);
  EXPECT_FALSE(table.take("0-a", 500));  // spent
  table.keep("0-b", record_of("r", 1), 100);
  EXPECT_FALSE(table.take("0-b", 1100));  // expired
  table.keep("0-c", record_of("r", 1), 100);
  table.expire(1100);
  EXPECT_EQ(table.size(), 0u);
}

TEST(SessionTable, KeepsAtMostItsLimitForgettingTheOldest) {
  SessionTable table(0, 3, 1000);
  for (int i = 0; i < 5; ++i) table.keep("0-" + std::to_string(i), record_of("r", i), 10);
  EXPECT_EQ(table.size(), 3u);
  EXPECT_FALSE(table.take("0-0", 20));
  EXPECT_FALSE(table.take("0-1", 20));
  EXPECT_TRUE(table.take("0-4", 20));
  // Records taken back at once leave nothing that grows.
  for (int i = 0; i < 1000; ++i) {
    std::string token = "0-t" + std::to_string(i);
    table.keep(token, record_of("r", i), 10);
    EXPECT_TRUE(table.take(token, 10));
  }
  EXPECT_LE(table.tracked(), 6u);
  SessionTable off(0, 3, 0);
  off.keep("0-x", record_of("r", 1), 10);
  EXPECT_EQ(off.size(), 0u);
  EXPECT_FALSE(off.enabled());
}

TEST(SessionTable, RecordsCrossShardsAsBytes) {
  SessionRecord record = record_of("lobby", 42);
  record.rooms.push_back(record_of("game", 0).rooms[0]);
  record.rooms[1].first_seq = 7;
  record.name = "socket-id";
  record.runs = {{1, 2, 3}, {4, 5, 6}};
  record.runs_complete = true;
  std::string bytes = record.serialize();
  auto back = SessionRecord::parse(bytes);
  ASSERT_TRUE(back);
  ASSERT_EQ(back->rooms.size(), 2u);
  EXPECT_EQ(back->rooms[0].room, "lobby");
  EXPECT_EQ(back->rooms[0].last_seq, 42u);
  EXPECT_EQ(back->rooms[0].epoch, "00ff00ff00ff00ff");
  EXPECT_EQ(back->rooms[0].info, R"({"n":1})");
  EXPECT_TRUE(back->rooms[0].presence);
  EXPECT_EQ(back->rooms[0].form, WireForm::kTcp);
  EXPECT_EQ(back->rooms[1].first_seq, 7u);
  EXPECT_EQ(back->name, "socket-id");
  ASSERT_EQ(back->runs.size(), 2u);
  EXPECT_EQ(back->runs[1].room_hash, 4u);
  EXPECT_EQ(back->runs[1].last, 6u);
  EXPECT_TRUE(back->runs_complete);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(SessionRecord::parse(std::string_view(bytes).substr(0, cut))) << cut;
  }
  EXPECT_FALSE(SessionRecord::parse(bytes + "x"));
}

}  // namespace
}  // namespace rg::gateway
