#include "core/io/user_data.h"

#include <gtest/gtest.h>

namespace rg::core {
namespace {

TEST(UserData, RoundTripsEveryField) {
  for (Op op : {Op::kAccept, Op::kRecv, Op::kSend, Op::kUdpRecv, Op::kUdpSend, Op::kWake}) {
    UserData in{op, 0x00fffffe, 0xfffffffe};
    UserData out = UserData::unpack(in.pack());
    EXPECT_EQ(out.op, op);
    EXPECT_EQ(out.generation, 0x00fffffeu);
    EXPECT_EQ(out.index, 0xfffffffeu);
  }
}

TEST(UserData, GenerationWrapsWithinItsBits) {
  UserData in{Op::kRecv, 0x01000001, 5};  // bit 24 does not fit
  EXPECT_EQ(UserData::unpack(in.pack()).generation, 1u);
  EXPECT_EQ(UserData::unpack(in.pack()).op, Op::kRecv);
}

}  // namespace
}  // namespace rg::core
