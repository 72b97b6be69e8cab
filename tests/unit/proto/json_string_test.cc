// JSON string literals: written escaped, read back to the same bytes (what a raw room's
// text frame travels as, and what raw members get back).

#include "proto/json_string.h"

#include <gtest/gtest.h>

#include <string>

namespace rg::proto {
namespace {

TEST(JsonString, EscapesAndReadsBackEveryByte) {
  std::string text = "plain \"quoted\" back\\slash \n\t\x01\x1f é 😀";
  std::string literal;
  append_json_string(literal, text);
  EXPECT_EQ(literal, R"("plain \"quoted\" back\\slash \u000a\u0009\u0001\u001f é 😀")");
  std::string back;
  unescape_json_string(literal, back);
  EXPECT_EQ(back, text);
  EXPECT_EQ(unescaped_json_string_size(literal), text.size());
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  literal.clear();
  back.clear();
  append_json_string(literal, all);
  unescape_json_string(literal, back);
  EXPECT_EQ(back, all);
}

}  // namespace
}  // namespace rg::proto
