#pragma once
// Request targets (RFC 9112 3.2, origin form): the path, the query, and the query's
// parameters percent-decoded the way browsers encode forms and URLs (RFC 3986 2.1, with
// '+' as a space in the query as application/x-www-form-urlencoded has it).

#include <string>
#include <string_view>

namespace rg::proto {

struct RequestTarget {
  std::string_view path;   // up to '?' or '#'
  std::string_view query;  // after '?', up to '#'; empty when none
};

RequestTarget split_target(std::string_view target) noexcept;

// The value of a hex digit (either case), or -1 (percent escapes, chunk sizes).
constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Appends `in` to `out` with every %XX decoded (and '+' as a space when `plus_is_space`);
// false, with `out` unspecified, on a '%' not followed by two hex digits.
[[nodiscard]] bool percent_decode(std::string_view in, std::string& out,
                                  bool plus_is_space) noexcept;

enum class QueryLookup {
  kAbsent,
  kFound,
  kBad,  // a malformed escape in a name, or in the value looked for
};

// The first parameter of `query` named `name` (compared decoded): its decoded value
// in `value` (a parameter without '=' has an empty one).
[[nodiscard]] QueryLookup query_param(std::string_view query, std::string_view name,
                                      std::string& value) noexcept;

}  // namespace rg::proto
