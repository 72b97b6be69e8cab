#include "gateway/sio/eio_sid.h"

#include <gtest/gtest.h>

#include <set>

namespace rg::gateway {
namespace {

TEST(EioSid, NamesItsHomeShardAndIsUnguessable) {
  std::set<std::string> seen;
  for (unsigned shard : {0u, 1u, 3u, 200u, 255u}) {
    for (int i = 0; i < 200; ++i) {
      std::string sid = issue_sid(shard);
      ASSERT_EQ(sid.size(), 22u);
      for (char c : sid) {
        ASSERT_TRUE(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << sid;
      }
      EXPECT_EQ(sid_home(sid, 256), static_cast<int>(shard));
      seen.insert(sid);
    }
  }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_EQ(sid_home(issue_sid(5), 4), -1);  // no such shard here
  EXPECT_EQ(sid_home("short", 4), -1);
  EXPECT_EQ(sid_home("AAAAAAAAAAAAAAAAAAAAA!", 4), -1);
  EXPECT_EQ(sid_home("", 4), -1);
}

}  // namespace
}  // namespace rg::gateway
