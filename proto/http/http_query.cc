#include "proto/http/http_query.h"

namespace rg::proto {

namespace {

// Whether `encoded` decodes to `name`, without building the decoded form; -1 when
// `encoded` is malformed.
int decoded_equals(std::string_view encoded, std::string_view name) noexcept {
  size_t n = 0;
  bool equal = true;
  for (size_t i = 0; i < encoded.size(); ++i) {
    char c = encoded[i];
    if (c == '%') {
      if (i + 2 >= encoded.size()) return -1;
      int hi = hex_value(encoded[i + 1]);
      int lo = hex_value(encoded[i + 2]);
      if (hi < 0 || lo < 0) return -1;
      c = static_cast<char>(hi << 4 | lo);
      i += 2;
    } else if (c == '+') {
      c = ' ';
    }
    if (n >= name.size() || name[n] != c) equal = false;
    ++n;
  }
  return equal && n == name.size() ? 1 : 0;
}

}  // namespace

RequestTarget split_target(std::string_view target) noexcept {
  RequestTarget out;
  size_t hash = target.find('#');
  if (hash != std::string_view::npos) target = target.substr(0, hash);
  size_t question = target.find('?');
  out.path = target.substr(0, question);
  if (question != std::string_view::npos) out.query = target.substr(question + 1);
  return out;
}

bool percent_decode(std::string_view in, std::string& out, bool plus_is_space) noexcept {
  out.reserve(out.size() + in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = hex_value(in[i + 1]);
      int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out += static_cast<char>(hi << 4 | lo);
      i += 2;
    } else {
      out += plus_is_space && c == '+' ? ' ' : c;
    }
  }
  return true;
}

QueryLookup query_param(std::string_view query, std::string_view name,
                        std::string& value) noexcept {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    int match = decoded_equals(pair.substr(0, eq), name);
    if (match < 0) return QueryLookup::kBad;
    if (match == 0) continue;
    value.clear();
    if (eq == std::string_view::npos) return QueryLookup::kFound;
    return percent_decode(pair.substr(eq + 1), value, true) ? QueryLookup::kFound
                                                            : QueryLookup::kBad;
  }
  return QueryLookup::kAbsent;
}

}  // namespace rg::proto
