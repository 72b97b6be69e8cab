// libFuzzer target for the gateway protocol's binary envelope.
//
// An accepted frame, written back from its parsed fields, must give the input again
// (nothing is skipped or invented); a refused one must name its error.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "proto/binary_envelope.h"

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
  if (!rg::proto::is_valid_room_name(r.room)) std::abort();
  std::string again;
  uint8_t op = r.op == RequestOp::kJoin    ? bin::kJoin
               : r.op == RequestOp::kLeave ? bin::kLeave
                                           : bin::kPub;
  again += static_cast<char>(op);
  again += static_cast<char>(data[1]);
  again += static_cast<char>(r.id.size());
  again += r.id;
  again += static_cast<char>(r.room.size());
  again += r.room;
  again += r.cookie;
  again += r.data;
  if (again.size() != size || std::memcmp(again.data(), data, size) != 0) std::abort();
  return 0;
}
