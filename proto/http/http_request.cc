#include "proto/http/http_request.h"

#include <algorithm>
#include <cstring>

namespace rg::proto {

namespace {

constexpr std::string_view kCrlf = "\r\n";

bool is_tchar(unsigned char c) noexcept {
  // RFC 9110 5.6.2 token characters.
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != 0;
}

bool is_token(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return is_tchar(static_cast<unsigned char>(c)); });
}

bool is_field_value_char(unsigned char c) noexcept {
  return c == '\t' || (c >= 0x20 && c != 0x7F);  // VCHAR, SP, HTAB, obs-text
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

unsigned char lower(unsigned char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? c | 0x20 : c;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(static_cast<unsigned char>(a[i])) != lower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool header_has_token(std::string_view value, std::string_view token) noexcept {
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view item = trim(value.substr(0, comma));
    if (iequals(item, token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

std::string_view HttpRequest::header(std::string_view name) const noexcept {
  for (size_t i = 0; i < header_count; ++i) {
    if (iequals(headers[i].name, name)) return headers[i].value;
  }
  return {};
}

size_t HttpRequest::count(std::string_view name) const noexcept {
  size_t n = 0;
  for (size_t i = 0; i < header_count; ++i) n += iequals(headers[i].name, name);
  return n;
}

HttpParse parse_http_request(std::string_view bytes, const HttpLimits& limits,
                             HttpRequest& out) noexcept {
  size_t line_end = bytes.find(kCrlf);
  if (line_end == std::string_view::npos) {
    return bytes.size() > limits.max_request_line ? HttpParse::kUriTooLong : HttpParse::kIncomplete;
  }
  if (line_end > limits.max_request_line) return HttpParse::kUriTooLong;
  size_t head_end = bytes.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    return bytes.size() > limits.max_head ? HttpParse::kHeadersTooLarge : HttpParse::kIncomplete;
  }
  out.head_size = head_end + 4;
  if (out.head_size > limits.max_head) return HttpParse::kHeadersTooLarge;

  // request-line = method SP request-target SP HTTP-version
  std::string_view line = bytes.substr(0, line_end);
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return HttpParse::kBadRequest;
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return HttpParse::kBadRequest;
  out.method = line.substr(0, sp1);
  out.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!is_token(out.method) || out.target.empty()) return HttpParse::kBadRequest;
  for (char c : out.target) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F) return HttpParse::kBadRequest;
  }
  if (version.size() != 8 || version.substr(0, 7) != "HTTP/1." || version[7] < '0' ||
      version[7] > '9') {
    return HttpParse::kBadRequest;
  }
  out.minor_version = version[7] - '0';

  out.header_count = 0;
  size_t at = line_end + 2;
  while (at < head_end + 2) {
    size_t eol = bytes.find(kCrlf, at);
    std::string_view field = bytes.substr(at, eol - at);
    at = eol + 2;
    // No obsolete line folding (RFC 9112 5.2), no white space before the colon (5.1).
    if (field.front() == ' ' || field.front() == '\t') return HttpParse::kBadRequest;
    size_t colon = field.find(':');
    if (colon == std::string_view::npos) return HttpParse::kBadRequest;
    std::string_view name = field.substr(0, colon);
    if (!is_token(name)) return HttpParse::kBadRequest;
    std::string_view value = field.substr(colon + 1);
    for (char c : value) {
      if (!is_field_value_char(static_cast<unsigned char>(c))) return HttpParse::kBadRequest;
    }
    if (out.header_count == limits.max_headers || out.header_count == HttpRequest::kMaxHeaders) {
      return HttpParse::kHeadersTooLarge;
    }
    out.headers[out.header_count++] = HttpHeader{name, trim(value)};
  }
  return HttpParse::kComplete;
}

}  // namespace rg::proto
