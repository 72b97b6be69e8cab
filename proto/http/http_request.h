#pragma once
// An HTTP/1.1 request head parser (RFC 9112) that works in place: the request it fills
// holds views into the caller's bytes, nothing is copied. It is fed everything received
// so far and says whether the head is complete, incomplete, or bad; limits keep a client
// from making the server hold or scan unbounded input.

#include <array>
#include <cstddef>
#include <string_view>

namespace rg::proto {

struct HttpLimits {
  size_t max_request_line = 8192;
  size_t max_head = 16384;  // request line and every header line, with their CRLFs
  size_t max_headers = 64;
};

struct HttpHeader {
  std::string_view name;
  std::string_view value;  // without surrounding white space
};

struct HttpRequest {
  static constexpr size_t kMaxHeaders = 64;
  std::string_view method;
  std::string_view target;
  int minor_version = 1;  // HTTP/1.x
  std::array<HttpHeader, kMaxHeaders> headers{};
  size_t header_count = 0;
  size_t head_size = 0;  // bytes of the head, up to and including the empty line

  // The first header called `name` (case-insensitive); empty if absent.
  std::string_view header(std::string_view name) const noexcept;
  size_t count(std::string_view name) const noexcept;
};

enum class HttpParse {
  kIncomplete,
  kComplete,
  kBadRequest,       // 400
  kHeadersTooLarge,  // 431
  kUriTooLong,       // 414: the request line is over its limit
};

HttpParse parse_http_request(std::string_view bytes, const HttpLimits& limits,
                             HttpRequest& out) noexcept;

// Case-insensitive ASCII comparison.
bool iequals(std::string_view a, std::string_view b) noexcept;
// Whether a comma-separated header value contains `token` (case-insensitive).
bool header_has_token(std::string_view value, std::string_view token) noexcept;

}  // namespace rg::proto
