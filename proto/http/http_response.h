#pragma once
// HTTP/1.1 responses (RFC 9112 4 and 6): the status line, the headers every response of
// ours carries, and the body, written into a buffer the caller owns and sends at once.

#include <ctime>
#include <string>
#include <string_view>

namespace rg::proto {

// The reason phrase of the statuses we answer with ("Error" for any other).
const char* reason_phrase(int status) noexcept;

struct ResponseHead {
  int status = 200;
  std::string_view content_type;  // empty: no Content-Type (no body)
  // Further header lines, each ending with CRLF (CORS, Cache-Control, Allow, ...).
  std::string_view headers;
  bool close = false;     // "Connection: close": the connection ends after this response
  std::string_view date;  // an IMF-fixdate (http_date); empty: no Date header
};

// Appends the whole response to `out`: its head, then `body` with its Content-Length.
void write_response(std::string& out, const ResponseHead& head, std::string_view body);

// `when` as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT", 29 characters) in `out`.
std::string_view http_date(std::time_t when, char (&out)[32]) noexcept;

}  // namespace rg::proto
