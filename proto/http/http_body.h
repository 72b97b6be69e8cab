#pragma once
// HTTP/1.1 request bodies (RFC 9112 6 and 7): how long a request's body is, decided from
// its head once and strictly, and a decoder for chunked bodies.
//
// Strict because a gateway sits behind proxies: if it and a proxy in front of it could
// disagree on where a request ends, a client could hide a second request in the body of
// the first (request smuggling). So a request is refused (400) when it has both
// Transfer-Encoding and Content-Length, two Content-Lengths that differ, a length that is
// not plain digits, a transfer coding other than a single `chunked`, Transfer-Encoding in
// HTTP/1.0, or a chunk size that is not plain hex; and bare LFs never end a line.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "proto/http/http_request.h"

namespace rg::proto {

struct BodyFraming {
  enum class Kind : uint8_t {
    kNone,     // no body (neither header)
    kLength,   // exactly `length` bytes follow the head
    kChunked,  // chunked: ChunkedDecoder finds its end
    kRefused,  // answer `status` and close: the request's end cannot be trusted
  };
  Kind kind = Kind::kNone;
  uint64_t length = 0;
  int status = 0;        // 400, 413 or 501 when refused
  const char* why = "";  // for the error's body
};

// The framing of `request`'s body; a declared length over `max_body` is refused with 413.
[[nodiscard]] BodyFraming body_framing(const HttpRequest& request, size_t max_body) noexcept;

// Decodes a chunked body as it arrives, appending the data to a string the caller owns.
// Chunk extensions are skipped, trailer fields read and dropped, both bounded.
class ChunkedDecoder {
 public:
  enum class Status : uint8_t {
    kNeedMore,  // everything given was used; more is needed
    kDone,      // the body ended; `consumed` says where (pipelined bytes may follow)
    kBad,       // malformed: 400
    kTooLarge,  // the data would pass max_body: 413
  };
  struct Result {
    Status status;
    size_t consumed;  // bytes of the input that belong to the body
  };

  explicit ChunkedDecoder(size_t max_body) noexcept : max_body_(max_body) {}

  // Feeds the next bytes of the body; decoded data is appended to `out`. After kDone,
  // kBad or kTooLarge the decoder takes no more.
  [[nodiscard]] Result feed(std::string_view in, std::string& out) noexcept;

  size_t decoded() const noexcept { return decoded_; }

 private:
  enum class State : uint8_t {
    kSize,       // hex digits of a chunk size
    kExtension,  // after ';' up to CR
    kSizeLf,     // CR seen after the size line
    kData,       // `remaining_` bytes of data
    kDataCr,     // CRLF after the data
    kDataLf,
    kTrailer,      // a trailer line (or the final empty line) begins
    kTrailerLine,  // inside a trailer field line
    kTrailerLf,    // CR seen at the end of a trailer line
    kFinalLf,      // CR seen on the empty line that ends the body
    kEnded,
  };
  static constexpr size_t kMaxSizeDigits = 16;   // 64 bits of hex
  static constexpr size_t kMaxExtension = 1024;  // bytes of extensions per chunk
  static constexpr size_t kMaxTrailers = 8192;   // bytes of trailer fields in all

  size_t max_body_;
  size_t decoded_ = 0;
  uint64_t remaining_ = 0;
  size_t digits_ = 0;
  size_t extension_ = 0;
  size_t trailers_ = 0;
  bool semicolon_ = false;  // the extension's ';' was seen
  State state_ = State::kSize;
};

}  // namespace rg::proto
