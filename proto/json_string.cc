#include "proto/json_string.h"

namespace rg::proto {

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  out += '"';
}

namespace {

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Walks the literal's body, handing each byte of the text to `put`.
template <class Put>
void unescape(std::string_view literal, Put&& put) {
  if (literal.size() >= 2 && literal.front() == '"' && literal.back() == '"') {
    literal = literal.substr(1, literal.size() - 2);
  }
  for (size_t i = 0; i < literal.size(); ++i) {
    char c = literal[i];
    if (c == '\\' && i + 1 < literal.size()) {
      char e = literal[i + 1];
      if ((e == '"' || e == '\\')) {
        put(e);
        ++i;
        continue;
      }
      if (e == 'u' && i + 5 < literal.size() && literal[i + 2] == '0' && literal[i + 3] == '0') {
        int hi = hex_digit(literal[i + 4]), lo = hex_digit(literal[i + 5]);
        if (hi >= 0 && lo >= 0) {
          put(static_cast<char>(hi * 16 + lo));
          i += 5;
          continue;
        }
      }
    }
    put(c);
  }
}

}  // namespace

void unescape_json_string(std::string_view literal, std::string& out) {
  out.reserve(out.size() + literal.size());
  unescape(literal, [&](char c) { out += c; });
}

size_t write_unescaped_json_string(std::string_view literal, char* out) noexcept {
  char* start = out;
  unescape(literal, [&](char c) { *out++ = c; });
  return static_cast<size_t>(out - start);
}

size_t unescaped_json_string_size(std::string_view literal) noexcept {
  size_t n = 0;
  unescape(literal, [&](char) { ++n; });
  return n;
}

}  // namespace rg::proto
