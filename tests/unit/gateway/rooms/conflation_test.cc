// --slow-consumer=conflate's queue: the newest message of each (room, ckey) waits, in seq
// order; unkeyed messages always wait; replacements are counted per room; it is bounded.

#include "gateway/rooms/conflation.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rg::gateway {
namespace {

// A delivery of `room` with seq `seq` and conflation key `ckey` (empty: none). The test
// holds one reference, released by Messages' destructor.
class Messages {
 public:
  ~Messages() {
    for (RoomMessage* m : made_) m->release();
  }
  const RoomMessage& make(std::string_view room, uint64_t seq, std::string_view ckey,
                          std::string_view data = "x") {
    RoomMessage::Fields f;
    f.room = room;
    f.ckey = ckey;
    f.data = data;
    f.seq = seq;
    made_.push_back(RoomMessage::create(f));
    return *made_.back();
  }

 private:
  std::vector<RoomMessage*> made_;
};

std::vector<uint64_t> drain(ConflationQueue& q) {
  std::vector<uint64_t> seqs;
  while (const RoomMessage* m = q.front()) {
    seqs.push_back(m->seq());
    q.pop();
  }
  return seqs;
}

TEST(ConflationQueue, TheNewestOfEachKeyWaitsInSeqOrder) {
  Messages m;
  ConflationQueue q(16, 1 << 20);
  EXPECT_EQ(q.push(m.make("r", 1, "BTC")), ConflationQueue::Push::kQueued);
  EXPECT_EQ(q.push(m.make("r", 2, "ETH")), ConflationQueue::Push::kQueued);
  EXPECT_EQ(q.push(m.make("r", 3, "")), ConflationQueue::Push::kQueued);
  EXPECT_EQ(q.push(m.make("r", 4, "BTC")), ConflationQueue::Push::kReplaced);
  EXPECT_EQ(q.push(m.make("r", 5, "")), ConflationQueue::Push::kQueued);
  EXPECT_EQ(q.push(m.make("r", 6, "BTC")), ConflationQueue::Push::kReplaced);
  EXPECT_EQ(q.waiting(), 4u);
  // The same key in another room is another key.
  EXPECT_EQ(q.push(m.make("s", 1, "BTC")), ConflationQueue::Push::kQueued);
  EXPECT_EQ(q.take_replaced("r"), 2u);
  EXPECT_EQ(q.take_replaced("r"), 0u);  // told once
  EXPECT_EQ(q.take_replaced("s"), 0u);
  EXPECT_EQ(drain(q), (std::vector<uint64_t>{2, 3, 5, 6, 1}));
  EXPECT_TRUE(q.empty());
}

TEST(ConflationQueue, AKeySentIsAKeyAgain) {
  Messages m;
  ConflationQueue q(16, 1 << 20);
  ASSERT_EQ(q.push(m.make("r", 1, "k")), ConflationQueue::Push::kQueued);
  ASSERT_EQ(q.front()->seq(), 1u);
  q.pop();
  EXPECT_EQ(q.push(m.make("r", 2, "k")), ConflationQueue::Push::kQueued);
  EXPECT_EQ(drain(q), (std::vector<uint64_t>{2}));
}

TEST(ConflationQueue, KeysAndUnkeyedBytesAreBounded) {
  Messages m;
  ConflationQueue keyed(2, 1 << 20);
  ASSERT_EQ(keyed.push(m.make("r", 1, "a")), ConflationQueue::Push::kQueued);
  ASSERT_EQ(keyed.push(m.make("r", 2, "b")), ConflationQueue::Push::kQueued);
  EXPECT_EQ(keyed.push(m.make("r", 3, "c")), ConflationQueue::Push::kFull);
  EXPECT_EQ(keyed.push(m.make("r", 4, "a")), ConflationQueue::Push::kReplaced);  // no new key

  const RoomMessage& big = m.make("r", 1, "", std::string(1000, 'd'));
  ConflationQueue unkeyed(16, 2 * big.footprint());
  ASSERT_EQ(unkeyed.push(big), ConflationQueue::Push::kQueued);
  ASSERT_EQ(unkeyed.push(m.make("r", 2, "", std::string(1000, 'd'))),
            ConflationQueue::Push::kQueued);
  EXPECT_EQ(unkeyed.push(m.make("r", 3, "", std::string(1000, 'd'))), ConflationQueue::Push::kFull);
  unkeyed.pop();  // sent: room again
  EXPECT_EQ(unkeyed.push(m.make("r", 4, "", std::string(1000, 'd'))),
            ConflationQueue::Push::kQueued);
}

TEST(ConflationQueue, AMemberThatNeverDrainsHoldsNoMoreThanItsKeys) {
  Messages m;
  ConflationQueue q(16, 1 << 20);
  const char* keys[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
  ASSERT_EQ(q.push(m.make("r", 1, "")), ConflationQueue::Push::kQueued);  // never replaced
  uint64_t seq = 2;
  for (int round = 0; round < 1000; ++round) {
    for (const char* key : keys) (void)q.push(m.make("r", seq++, key));
    EXPECT_LE(q.slots(), 2 * q.waiting() + 64 + 1) << "a slot kept per replacement";
  }
  EXPECT_EQ(q.waiting(), 11u);
  std::vector<uint64_t> expect{1};
  for (uint64_t s = seq - 10; s < seq; ++s) expect.push_back(s);
  EXPECT_EQ(drain(q), expect);  // the newest of each key, in seq order
}

TEST(ConflationQueue, HoldsAReferenceToWhatWaits) {
  RoomMessage::Fields f;
  f.room = "r";
  f.ckey = "k";
  RoomMessage* first = RoomMessage::create(f);
  RoomMessage* second = RoomMessage::create(f);
  {
    ConflationQueue q(16, 1 << 20);
    ASSERT_EQ(q.push(*first), ConflationQueue::Push::kQueued);
    first->release();  // the queue's reference keeps it (ASan would see a use after free)
    ASSERT_EQ(q.push(*second), ConflationQueue::Push::kReplaced);  // drops `first`
    EXPECT_EQ(q.front(), second);
  }  // the queue's reference to `second` goes with it
  second->release();
}

}  // namespace
}  // namespace rg::gateway
