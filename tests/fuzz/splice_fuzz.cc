// libFuzzer target for the splice of a publisher's data into JSON members' frames.
//
// The first input byte picks the publisher's wire form: JSON text (the rest is a request)
// or the binary envelope (the rest is a frame). For every publish the gateway would
// accept, the frame a JSON member receives must parse, on its own, as exactly
// {"op":"msg","room":R,"seq":N,"data":D} (plus "bin":true for binary data), with the
// publisher's room, the seq given, and D the publisher's value: nothing forged, nothing lost.

#include <simdjson.h>

#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proto/envelope/binary_envelope.h"
#include "proto/envelope/json_envelope.h"

namespace {

using rg::proto::Request;
using rg::proto::RequestOp;

void check(bool ok) {
  if (!ok) std::abort();
}

// Whether `text` may hold a number simdjson's DOM cannot represent: 19 digits or more in
// a row (past 64 bits), or an exponent (past a double's range).
bool may_hold_huge_number(std::string_view text) {
  size_t run = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    run = c >= '0' && c <= '9' ? run + 1 : 0;
    if (run >= 19) return true;
    if ((c == 'e' || c == 'E') && i > 0 && text[i - 1] >= '0' && text[i - 1] <= '9') return true;
  }
  return false;
}

std::string minified(simdjson::dom::element element) {
  return simdjson::minify(element);
}

void check_frame(const Request& r, simdjson::dom::parser& dom) {
  constexpr uint64_t kSeq = 18446744073709551615ull;
  std::string frame(rg::proto::json_msg_size(r.room, kSeq, r.event, r.data.size(), r.data_is_json),
                    '\0');
  rg::proto::write_json_msg(frame.data(), r.room, kSeq, r.event, r.data, r.data_is_json);

  std::string data_alone;  // parsed first: the DOM parser's elements live until its next parse
  if (r.data_is_json) {
    simdjson::dom::element value;
    auto error = dom.parse(r.data.data(), r.data.size()).get(value);
    // simdjson 3.0's DOM cannot hold an integer past 64 bits or a double past its range
    // (NUMBER_ERROR), both of which JSON allows and the gateway forwards: such data is left
    // to the number grammar's unit tests.
    if (error == simdjson::NUMBER_ERROR && may_hold_huge_number(r.data)) return;
    check(error == simdjson::SUCCESS);
    data_alone = minified(value);
  }
  simdjson::dom::object object;
  check(dom.parse(frame).get_object().get(object) == simdjson::SUCCESS);
  size_t fields = 0;
  for (auto [key, value] : object) {
    ++fields;
    if (key == "op") {
      check(value.is_string() && std::string_view(value) == "msg");
    } else if (key == "room") {
      check(value.is_string() && std::string_view(value) == r.room);
    } else if (key == "seq") {
      check(value.is_uint64() && uint64_t(value) == kSeq);
    } else if (key == "data") {
      if (r.data_is_json) {
        check(minified(value) == data_alone);
      } else {
        check(value.is_string());
        std::string_view text = value;
        std::string decoded(text.size() / 4 * 3 + 3, '\0');
        int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
        check(n >= 0);
        size_t padding = text.size() >= 2 ? (text.end()[-1] == '=') + (text.end()[-2] == '=') : 0;
        decoded.resize(static_cast<size_t>(n) - padding);
        check(decoded == r.data);
      }
    } else if (key == "bin") {
      check(!r.data_is_json && value.is_bool() && bool(value));
    } else if (key == "event") {
      check(!r.event.empty() && value.is_string() && std::string_view(value) == r.event);
    } else {
      check(false);  // a field the gateway did not write
    }
  }
  check(fields == (r.data_is_json ? 4u : 5u) + (r.event.empty() ? 0u : 1u));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static rg::proto::JsonRequestParser parser;
  static simdjson::dom::parser dom;
  if (size < 1) return 0;
  bool json_form = data[0] & 1;
  std::string input(reinterpret_cast<const char*>(data + 1), size - 1);
  Request r;
  if (json_form) {
    size_t length = input.size();
    input.append(rg::proto::kJsonPadding, ' ');
    if (parser.parse(std::string_view(input.data(), length), r)) return 0;
  } else {
    if (rg::proto::bin::parse_request(
            {reinterpret_cast<const std::byte*>(input.data()), input.size()}, r)) {
      return 0;
    }
    // What the hub does with a binary publisher's JSON-flagged data before it is spliced.
    if (r.op == RequestOp::kPub && r.data_is_json && !parser.is_valid_value(r.data)) return 0;
  }
  if (r.op != RequestOp::kPub) return 0;
  check_frame(r, dom);
  return 0;
}
