// libFuzzer target for the Socket.IO packet codec.
//
// Invariants: the parser never reads outside its input (and padding), never throws; a
// packet it accepts has a type, at most 10 attachments, a namespace that is "/" or a view
// into the input starting with '/', an ack id within 2^53; and its head, written back
// with the same fields and followed by the same payload text, parses to the same fields.

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proto/sio/socketio.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  simdjson::padded_string input(reinterpret_cast<const char*>(data), size);
  std::string_view text(input.data(), input.size());
  static simdjson::dom::parser parser;
  rg::proto::SioPacket packet;
  if (rg::proto::parse_sio_packet(text, parser, packet) != rg::proto::SioParse::kOk) return 0;
  if (packet.attachments > rg::proto::kMaxSioAttachments) std::abort();
  if (packet.nsp.empty() || packet.nsp[0] != '/') std::abort();
  if (packet.id >= (uint64_t{1} << 53)) std::abort();
  std::string head;
  rg::proto::append_sio_head(head, packet.type, packet.nsp, packet.attachments, packet.has_id,
                             packet.id);
  // The payload is what follows the head in the input.
  std::string payload;
  if (packet.has_payload) payload = simdjson::minify(packet.payload);
  rg::proto::SioPacket first = packet;
  simdjson::padded_string again(head + payload);
  static simdjson::dom::parser parser2;
  rg::proto::SioPacket second;
  if (rg::proto::parse_sio_packet(std::string_view(again.data(), again.size()), parser2, second) !=
      rg::proto::SioParse::kOk) {
    std::abort();
  }
  if (second.type != first.type || second.attachments != first.attachments ||
      second.nsp != first.nsp || second.has_id != first.has_id || second.id != first.id ||
      second.has_payload != first.has_payload) {
    std::abort();
  }
  return 0;
}
