#include "proto/http/http_query.h"

#include <gtest/gtest.h>

namespace rg::proto {
namespace {

TEST(RequestTarget, SplitsPathAndQuery) {
  RequestTarget t = split_target("/socket.io/?EIO=4&transport=polling#frag");
  EXPECT_EQ(t.path, "/socket.io/");
  EXPECT_EQ(t.query, "EIO=4&transport=polling");
  EXPECT_EQ(split_target("/").query, "");
  EXPECT_EQ(split_target("/a?").path, "/a");
}

TEST(PercentDecode, DecodesEscapesAndRefusesBadOnes) {
  std::string out;
  EXPECT_TRUE(percent_decode("a%20b%2Fc%e2%82%AC+d", out, true));
  EXPECT_EQ(out, "a b/c\xe2\x82\xac d");
  out.clear();
  EXPECT_TRUE(percent_decode("a+b", out, false));
  EXPECT_EQ(out, "a+b");
  for (std::string_view bad : {"%", "%2", "a%2", "%zz", "%2g"}) {
    out.clear();
    EXPECT_FALSE(percent_decode(bad, out, true)) << bad;
  }
}

TEST(QueryParam, FindsTheFirstDecoded) {
  std::string v;
  std::string_view q = "EIO=4&transport=polling&t=N8h%2Dyd&sid=a%2Bb&flag&EIO=3";
  EXPECT_EQ(query_param(q, "EIO", v), QueryLookup::kFound);
  EXPECT_EQ(v, "4");
  EXPECT_EQ(query_param(q, "transport", v), QueryLookup::kFound);
  EXPECT_EQ(v, "polling");
  EXPECT_EQ(query_param(q, "t", v), QueryLookup::kFound);
  EXPECT_EQ(v, "N8h-yd");
  EXPECT_EQ(query_param(q, "sid", v), QueryLookup::kFound);
  EXPECT_EQ(v, "a+b");
  EXPECT_EQ(query_param(q, "flag", v), QueryLookup::kFound);
  EXPECT_EQ(v, "");
  EXPECT_EQ(query_param(q, "nope", v), QueryLookup::kAbsent);
  EXPECT_EQ(query_param("tr%61nsport=ws", "transport", v), QueryLookup::kFound);  // name decoded
  EXPECT_EQ(v, "ws");
  EXPECT_EQ(query_param("a=1&&b=2", "b", v), QueryLookup::kFound);
  EXPECT_EQ(v, "2");
  EXPECT_EQ(query_param("sid=%zz", "sid", v), QueryLookup::kBad);
  EXPECT_EQ(query_param("%zz=1&sid=2", "sid", v), QueryLookup::kBad);
  EXPECT_EQ(query_param("", "sid", v), QueryLookup::kAbsent);
}

}  // namespace
}  // namespace rg::proto
