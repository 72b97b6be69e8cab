#include "proto/http/http_body.h"

#include "proto/http/http_query.h"

#include <algorithm>
#include <charconv>

namespace rg::proto {

namespace {

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls `f(item)` for each element of a comma-separated header value (RFC 9110 5.6.1);
// stops at the first `false`.
template <class F>
bool for_each_item(std::string_view value, F&& f) noexcept {
  while (true) {
    size_t comma = value.find(',');
    if (!f(trim(value.substr(0, comma)))) return false;
    if (comma == std::string_view::npos) return true;
    value.remove_prefix(comma + 1);
  }
}

BodyFraming refuse(int status, const char* why) noexcept {
  BodyFraming framing;
  framing.kind = BodyFraming::Kind::kRefused;
  framing.status = status;
  framing.why = why;
  return framing;
}

// What may appear inside a chunk extension or a trailer line: field-value characters.
bool is_line_char(unsigned char c) noexcept {
  return c == '\t' || (c >= 0x20 && c != 0x7F);
}

}  // namespace

BodyFraming body_framing(const HttpRequest& request, size_t max_body) noexcept {
  bool has_length = false;
  bool has_coding = false;
  uint64_t length = 0;
  bool lengths_agree = true;
  bool lengths_digits = true;
  std::string_view last_coding;
  size_t codings = 0;
  for (size_t i = 0; i < request.header_count; ++i) {
    const HttpHeader& header = request.headers[i];
    if (iequals(header.name, "Content-Length")) {
      bool first = !has_length;
      has_length = true;
      for_each_item(header.value, [&](std::string_view item) {
        uint64_t v = 0;
        bool digits = !item.empty() && std::all_of(item.begin(), item.end(),
                                                   [](char c) { return c >= '0' && c <= '9'; });
        auto [end, error] = std::from_chars(item.data(), item.data() + item.size(), v);
        if (!digits || error != std::errc() || end != item.data() + item.size()) {
          lengths_digits = false;
          return false;
        }
        if (!first && v != length) lengths_agree = false;
        first = false;
        length = v;
        return true;
      });
    } else if (iequals(header.name, "Transfer-Encoding")) {
      has_coding = true;
      for_each_item(header.value, [&](std::string_view item) {
        // Parameters (";q=...") are not ours to ignore: they make it another coding.
        last_coding = item;
        ++codings;
        return true;
      });
    }
  }
  if (has_coding) {
    if (has_length) return refuse(400, "both Transfer-Encoding and Content-Length");
    if (request.minor_version == 0) return refuse(400, "Transfer-Encoding in an HTTP/1.0 request");
    if (!iequals(last_coding, "chunked")) {
      return refuse(400, "the last transfer coding of a request must be chunked");
    }
    if (codings != 1) return refuse(501, "no transfer coding but chunked is supported");
    BodyFraming framing;
    framing.kind = BodyFraming::Kind::kChunked;
    return framing;
  }
  if (!has_length) return {};
  if (!lengths_digits) return refuse(400, "Content-Length is not a number");
  if (!lengths_agree) return refuse(400, "two different Content-Lengths");
  if (length > max_body) return refuse(413, "the request body is too large");
  BodyFraming framing;
  framing.kind = length == 0 ? BodyFraming::Kind::kNone : BodyFraming::Kind::kLength;
  framing.length = length;
  return framing;
}

ChunkedDecoder::Result ChunkedDecoder::feed(std::string_view in, std::string& out) noexcept {
  size_t at = 0;
  auto bad = [&] {
    state_ = State::kEnded;
    return Result{Status::kBad, at};
  };
  if (state_ == State::kEnded) return Result{Status::kBad, 0};
  while (at < in.size()) {
    const char c = in[at];
    switch (state_) {
      case State::kSize: {
        int v = hex_value(c);
        if (v >= 0) {
          if (++digits_ > kMaxSizeDigits) return bad();
          remaining_ = remaining_ << 4 | static_cast<uint64_t>(v);
          ++at;
          break;
        }
        if (digits_ == 0) return bad();
        if (c == '\r') {
          state_ = State::kSizeLf;
        } else if (c == ';' || c == ' ' || c == '\t') {
          state_ = State::kExtension;
          extension_ = 1;
          semicolon_ = c == ';';
        } else {
          return bad();
        }
        ++at;
        break;
      }
      case State::kExtension:
        if (c == '\r') {
          if (!semicolon_) return bad();  // white space after the size, but no extension
          state_ = State::kSizeLf;
        } else if (!is_line_char(static_cast<unsigned char>(c)) || ++extension_ > kMaxExtension) {
          return bad();
        } else if (!semicolon_) {
          // Before its ';', an extension may only be preceded by white space (BWS).
          if (c == ';') {
            semicolon_ = true;
          } else if (c != ' ' && c != '\t') {
            return bad();
          }
        }
        ++at;
        break;
      case State::kSizeLf:
        if (c != '\n') return bad();
        ++at;
        digits_ = 0;
        if (remaining_ == 0) {
          state_ = State::kTrailer;
          break;
        }
        if (remaining_ > max_body_ - decoded_) {
          state_ = State::kEnded;
          return Result{Status::kTooLarge, at};
        }
        state_ = State::kData;
        break;
      case State::kData: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, in.size() - at));
        out.append(in.data() + at, n);
        decoded_ += n;
        remaining_ -= n;
        at += n;
        if (remaining_ == 0) state_ = State::kDataCr;
        break;
      }
      case State::kDataCr:
        if (c != '\r') return bad();
        state_ = State::kDataLf;
        ++at;
        break;
      case State::kDataLf:
        if (c != '\n') return bad();
        state_ = State::kSize;
        ++at;
        break;
      case State::kTrailer:
        if (c == '\r') {
          state_ = State::kFinalLf;
          ++at;
          break;
        }
        state_ = State::kTrailerLine;
        [[fallthrough]];
      case State::kTrailerLine:
        if (c == '\r') {
          state_ = State::kTrailerLf;
        } else if (!is_line_char(static_cast<unsigned char>(c)) || ++trailers_ > kMaxTrailers) {
          return bad();
        }
        ++at;
        break;
      case State::kTrailerLf:
        if (c != '\n') return bad();
        state_ = State::kTrailer;
        ++at;
        break;
      case State::kFinalLf:
        if (c != '\n') return bad();
        state_ = State::kEnded;
        return Result{Status::kDone, at + 1};
      case State::kEnded:
        return Result{Status::kBad, 0};
    }
  }
  return Result{Status::kNeedMore, at};
}

}  // namespace rg::proto
