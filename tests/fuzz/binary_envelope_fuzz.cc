// libFuzzer target for the gateway protocol's binary envelope.
//
// An accepted frame, written back from its parsed fields, must give the input again
// (nothing is skipped or invented); a refused one must name its error.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "proto/envelope/binary_envelope.h"
#include "proto/envelope/json_envelope.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace bin = rg::proto::bin;
  using rg::proto::RequestOp;
  rg::proto::Request r;
  auto* bytes = reinterpret_cast<const std::byte*>(data);
  rg::proto::RequestError error = bin::parse_request({bytes, size}, r);
  if (error) {
    if (error.message == nullptr || *error.message == '\0') std::abort();
    return 0;
  }
  if (r.op == RequestOp::kHello || r.op == RequestOp::kPing) return 0;  // the rest is ignored
  if (r.op == RequestOp::kSession) {
    // A token of at most 64 bytes, and offsets that are the rest of the frame.
    if (r.session.size() > rg::proto::kMaxSessionBytes) std::abort();
    if (!r.offsets.empty() &&
        reinterpret_cast<const uint8_t*>(r.offsets.data()) + r.offsets.size() != data + size) {
      std::abort();
    }
    static rg::proto::JsonRequestParser reader;
    size_t entries = 0;
    reader.for_each_offset(
        r,
        [](void* n, std::string_view room, uint64_t) {
          if (!rg::proto::is_valid_room_name(room)) std::abort();
          ++*static_cast<size_t*>(n);
        },
        &entries);
    return 0;
  }
  if (r.op == RequestOp::kAuth) {
    // The token (and, with the flag, the cookie) are exactly the rest of the frame.
    if (r.token.empty() || r.token.size() > rg::proto::kMaxTokenBytes) std::abort();
    size_t cookie = (data[1] & bin::kFlagCookie) != 0 ? rg::proto::kCookieBytes : 0;
    if (r.cookie.size() != cookie) std::abort();
    const auto* token = reinterpret_cast<const uint8_t*>(r.token.data());
    if (token + r.token.size() + cookie != data + size) std::abort();
    return 0;
  }
  if (!rg::proto::is_valid_room_name(r.room)) std::abort();
  std::string again;
  uint8_t op = r.op == RequestOp::kJoin       ? bin::kJoin
               : r.op == RequestOp::kLeave    ? bin::kLeave
               : r.op == RequestOp::kPresence ? bin::kPresence
                                              : bin::kPub;
  uint8_t flags = data[1];
  again += static_cast<char>(op);
  again += static_cast<char>(flags);
  again += static_cast<char>(r.id.size());
  again += r.id;
  again += static_cast<char>(r.room.size());
  again += r.room;
  if (r.key.size() > rg::proto::kMaxKeyBytes || r.epoch.size() > rg::proto::kMaxEpochBytes) {
    std::abort();
  }
  if (r.op == RequestOp::kPub && (flags & bin::kFlagKey) != 0) {
    if (r.key.empty()) std::abort();
    again += static_cast<char>(r.key.size());
    again += r.key;
  }
  if (r.op == RequestOp::kPub && (flags & bin::kFlagEvent) != 0) {
    if (!rg::proto::is_valid_event_name(r.event)) std::abort();
    again += static_cast<char>(r.event.size());
    again += r.event;
  } else if (!r.event.empty()) {
    std::abort();  // only a pub with the flag names an event
  }
  if (r.op == RequestOp::kPub && (flags & bin::kFlagConflationKey) != 0) {
    if (r.ckey.empty() || r.ckey.size() > rg::proto::kMaxKeyBytes) std::abort();
    again += static_cast<char>(r.ckey.size());
    again += r.ckey;
  } else if (!r.ckey.empty()) {
    std::abort();  // only a pub with the flag has a conflation key
  }
  if (r.op == RequestOp::kJoin) {
    if (r.has_since != ((flags & bin::kFlagResume) != 0)) std::abort();
    if (r.presence != ((flags & bin::kFlagPresence) != 0)) std::abort();
    if (r.has_since) {
      for (int i = 0; i < 8; ++i) again += static_cast<char>(r.since >> (8 * i));
      again += static_cast<char>(r.epoch.size());
      again += r.epoch;
    }
    if ((flags & bin::kFlagInfo) != 0) {
      again += static_cast<char>(r.info.size() & 0xff);
      again += static_cast<char>(r.info.size() >> 8);
      again += r.info;
    }
  } else if (r.has_since || !r.info.empty() || r.presence) {
    std::abort();  // only a join carries them
  }
  again += r.cookie;
  again += r.data;
  if (again.size() != size || std::memcmp(again.data(), data, size) != 0) std::abort();
  return 0;
}
