#include "proto/ws/utf8_stream.h"

#include <gtest/gtest.h>

#include <string>

namespace rg::proto {
namespace {

bool valid_in_pieces(const std::string& s, size_t cut1, size_t cut2, bool* failed_early = nullptr) {
  Utf8Stream v;
  auto* p = reinterpret_cast<const std::byte*>(s.data());
  bool a = v.feed(p, cut1);
  bool b = a && v.feed(p + cut1, cut2 - cut1);
  bool c = b && v.feed(p + cut2, s.size() - cut2);
  if (failed_early) *failed_early = !a || !b;
  return c && v.finish();
}

TEST(Utf8Stream, ValidTextIsValidWhereverItIsCut) {
  std::string text = "κόσμε, 世界, 🌍, plain ascii, \xF4\x8F\xBF\xBF end";
  for (size_t i = 0; i <= text.size(); ++i) {
    for (size_t j = i; j <= text.size(); ++j) {
      ASSERT_TRUE(valid_in_pieces(text, i, j)) << i << " " << j;
    }
  }
}

TEST(Utf8Stream, InvalidTextIsInvalidWhereverItIsCut) {
  for (std::string bad :
       {std::string("ab\xC0\x80"), std::string("\xED\xA0\x80 surrogate"),
        std::string("x\xF4\x90\x80\x80"), std::string("\xFF"), std::string("ok\x80"),
        std::string("\xE0\x80\xAF"), std::string("\xCE\xBA\xE1\xBD")}) {
    for (size_t i = 0; i <= bad.size(); ++i) {
      for (size_t j = i; j <= bad.size(); ++j) {
        ASSERT_FALSE(valid_in_pieces(bad, i, j)) << "cut " << i << " " << j;
      }
    }
  }
}

TEST(Utf8Stream, FailsAsSoonAsAPrefixCannotBeValid) {
  // RFC 6455 8.1 / Autobahn 6.4: the bad byte is in the first piece; the rest never comes.
  Utf8Stream v;
  std::string first = "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xF4\x90";  // F4 90: > U+10FFFF
  EXPECT_FALSE(v.feed(reinterpret_cast<const std::byte*>(first.data()), first.size()));
  Utf8Stream w;
  std::string lead = "abc\xF5";  // F5 can never start a sequence
  EXPECT_FALSE(w.feed(reinterpret_cast<const std::byte*>(lead.data()), lead.size()));
  Utf8Stream x;
  std::string cut = "abc\xE2\x82";  // a valid prefix of U+20AC: not an error yet
  EXPECT_TRUE(x.feed(reinterpret_cast<const std::byte*>(cut.data()), cut.size()));
  EXPECT_FALSE(x.finish()) << "but the message may not end there";
}

}  // namespace
}  // namespace rg::proto
