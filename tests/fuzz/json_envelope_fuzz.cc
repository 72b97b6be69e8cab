// libFuzzer target for the gateway protocol's JSON requests.
//
// Checks, for any input: no crash or sanitizer report; an accepted request has a valid
// room and op; its data (forwarded byte for byte to other clients) is exactly one valid
// JSON value according to a second, independent walk; its id is a number or a string; a
// join's info is one JSON object from the input, its epoch at most 64 bytes; a pub's key
// 1 to 64 bytes; fields reach only the ops that take them.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "proto/envelope/json_envelope.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static rg::proto::JsonRequestParser parser;
  static rg::proto::JsonRequestParser checker;
  std::string padded(reinterpret_cast<const char*>(data), size);
  padded.append(rg::proto::kJsonPadding, '\0');
  std::string_view text(padded.data(), size);
  rg::proto::Request request;
  rg::proto::RequestError error = parser.parse(text, request);
  if (error) {
    if (error.message == nullptr || *error.message == '\0') std::abort();
    return 0;
  }
  using rg::proto::RequestOp;
  if (request.op == RequestOp::kSession) {
    if (request.session.size() > rg::proto::kMaxSessionBytes) std::abort();
    parser.for_each_offset(
        request,
        [](void*, std::string_view room, uint64_t) {
          if (!rg::proto::is_valid_room_name(room)) std::abort();
        },
        nullptr);
    return 0;
  }
  if (request.op != RequestOp::kPing && !rg::proto::is_valid_room_name(request.room)) std::abort();
  // (A string id may have 128 bytes between its quotes.)
  if (request.id.size() > rg::proto::kMaxIdBytes + 2) std::abort();
  if (!request.id.empty() && !checker.is_valid_value(request.id)) std::abort();
  auto inside = [&](std::string_view part) {
    return part.data() >= text.data() && part.data() + part.size() <= text.data() + text.size();
  };
  if (request.op == RequestOp::kJoin) {
    if (request.epoch.size() > rg::proto::kMaxEpochBytes) std::abort();
    if (!request.info.empty() && (request.info.front() != '{' || !inside(request.info) ||
                                  !checker.is_valid_value(request.info))) {
      std::abort();
    }
  } else if (request.has_since || !request.info.empty() || request.presence ||
             !request.epoch.empty()) {
    std::abort();
  }
  if (request.op == RequestOp::kPub) {
    if (request.key.size() > rg::proto::kMaxKeyBytes) std::abort();
  } else if (!request.key.empty()) {
    std::abort();
  }
  if (request.op == RequestOp::kPub) {
    if (!request.data_is_json) std::abort();
    // The data must lie inside the input and be one whole JSON value.
    if (request.data.data() < text.data() ||
        request.data.data() + request.data.size() > text.data() + text.size()) {
      std::abort();
    }
    if (!checker.is_valid_value(request.data)) std::abort();
  }
  return 0;
}
