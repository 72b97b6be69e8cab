// One shard's room hub on its own (a bus of one shard: it owns every room), driven the
// way sessions drive it, with members that record what they are sent.

#include "gateway/rooms/room_hub.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/bus.h"
#include "core/mailbox.h"

namespace rg::gateway {
namespace {

class RecordingMember final : public Member {
 public:
  size_t queued_bytes() const noexcept override { return queued; }
  bool send_encoded(const core::BlockRef& block, size_t offset, size_t length) noexcept override {
    messages.emplace_back(reinterpret_cast<const char*>(block->data()) + offset, length);
    return true;
  }
  void send_reply(WireForm, std::span<const std::byte> body) noexcept override {
    replies.emplace_back(reinterpret_cast<const char*>(body.data()), body.size());
  }
  void cut_off_slow() noexcept override {
    ++cut_offs;
    cut = true;  // as a session does: its connection is closing from now on
  }
  bool closing() const noexcept override { return cut; }

  size_t queued = 0;
  bool cut = false;
  int cut_offs = 0;
  std::vector<std::string> messages;  // as framed for the member's wire form
  std::vector<std::string> replies;   // JSON texts
};

proto::Request request(proto::RequestOp op, std::string_view room, std::string_view data = {},
                       std::string_view id = {}) {
  proto::Request r;
  r.op = op;
  r.room = room;
  r.data = data;
  r.data_is_json = !data.empty();
  r.id = id;
  return r;
}

class RoomHubTest : public ::testing::Test {
 protected:
  RoomHubTest() : bus_(1), mailbox_(bus_, 0), hub_(mailbox_, HubConfig{}) {
    hub_.attach(a_);
    hub_.attach(b_);
  }
  ~RoomHubTest() override {
    hub_.detach(a_);
    hub_.detach(b_);
  }
  void join(RecordingMember& m, std::string_view room) {
    hub_.handle(m, WireForm::kWsJson, request(proto::RequestOp::kJoin, room));
    mailbox_.on_tick();
  }
  void publish(RecordingMember& m, std::string_view room, std::string_view data) {
    hub_.handle(m, WireForm::kWsJson, request(proto::RequestOp::kPub, room, data, "1"));
    mailbox_.on_tick();
  }

  core::Bus bus_;
  core::ShardMailbox mailbox_;
  RoomHub hub_;
  RecordingMember a_, b_;
};

TEST_F(RoomHubTest, JoinsPublishesAndDeliversInOrder) {
  join(a_, "r");
  ASSERT_EQ(a_.replies.size(), 1u);
  EXPECT_EQ(a_.replies[0], R"({"op":"joined","room":"r","seq":0})");
  publish(b_, "r", "[1]");
  publish(b_, "r", "[2]");
  ASSERT_EQ(a_.messages.size(), 2u);
  EXPECT_NE(a_.messages[0].find(R"({"op":"msg","room":"r","seq":1,"data":[1]})"),
            std::string::npos);
  EXPECT_NE(a_.messages[1].find(R"("seq":2,"data":[2])"), std::string::npos);
  ASSERT_EQ(b_.replies.size(), 2u);  // the publisher is not a member: acks only
  EXPECT_EQ(b_.replies[1], R"({"op":"ack","id":1,"seq":2})");
  EXPECT_TRUE(b_.messages.empty());
  EXPECT_EQ(hub_.stats().delivered, 2u);
}

// The review of 043c7f5: a closing member was still counted as delivered to (and as a
// new slow close with every message), although its bytes were dropped.
TEST_F(RoomHubTest, AClosingMemberIsNeitherSentToNorCounted) {
  join(a_, "r");
  a_.queued = HubConfig{}.max_outbuf;  // far behind: the next message cuts it off
  publish(b_, "r", "1");
  EXPECT_EQ(a_.cut_offs, 1);
  EXPECT_EQ(hub_.stats().slow_closed, 1u);
  for (int i = 0; i < 10; ++i) publish(b_, "r", "2");
  EXPECT_EQ(a_.cut_offs, 1);
  EXPECT_EQ(hub_.stats().slow_closed, 1u);
  EXPECT_EQ(hub_.stats().delivered, 0u);
  EXPECT_TRUE(a_.messages.empty());
  EXPECT_EQ(hub_.stats().published, 11u);
}

TEST_F(RoomHubTest, ErrorsNameTheProblemAndLeaveTheRoomAlone) {
  join(a_, "r");
  hub_.handle(b_, WireForm::kWsJson, request(proto::RequestOp::kLeave, "r", {}, "\"x\""));
  ASSERT_EQ(b_.replies.size(), 1u);
  EXPECT_NE(b_.replies[0].find(R"("code":"not_joined")"), std::string::npos);
  EXPECT_NE(b_.replies[0].find(R"("id":"x")"), std::string::npos);
  std::string big(HubConfig{}.max_payload + 1, '1');
  publish(b_, "r", big);
  EXPECT_NE(b_.replies.back().find(R"("code":"too_large")"), std::string::npos);
  EXPECT_TRUE(a_.messages.empty());
  hub_.handle(a_, WireForm::kWsJson, request(proto::RequestOp::kLeave, "r"));
  mailbox_.on_tick();
  EXPECT_EQ(a_.replies.back(), R"({"op":"left","room":"r"})");
  publish(b_, "r", "3");
  EXPECT_TRUE(a_.messages.empty());
}

}  // namespace
}  // namespace rg::gateway
