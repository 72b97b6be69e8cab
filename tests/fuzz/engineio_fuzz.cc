// libFuzzer target for the Engine.IO payload codec.
//
// Invariants: a payload that decodes re-encodes to packets that decode to the same
// packets (types, kinds and data); a text packet's data is a view into the input; base64
// decodes only what it could have encoded, and round-trips.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "proto/sio/engineio.h"

namespace {

struct Seen {
  rg::proto::EioType type;
  bool binary;
  std::string data;
};

struct Sink {
  std::string_view input;
  std::vector<Seen> seen;
};

void on_packet(void* context, const rg::proto::EioPacket& p) {
  auto& sink = *static_cast<Sink*>(context);
  if (!p.binary && !p.data.empty() &&
      (p.data.data() < sink.input.data() ||
       p.data.data() + p.data.size() > sink.input.data() + sink.input.size())) {
    std::abort();
  }
  sink.seen.push_back({p.type, p.binary, std::string(p.data)});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string scratch;
  Sink first{input, {}};
  if (!rg::proto::for_each_eio_packet(input, scratch, on_packet, &first)) return 0;
  std::string again;
  for (const Seen& s : first.seen) {
    if (s.binary) {
      rg::proto::append_eio_binary(again, std::as_bytes(std::span(s.data)));
    } else {
      // A text packet holding the separator cannot be written back as one packet.
      if (s.data.find('\x1e') != std::string::npos) return 0;
      rg::proto::append_eio_text(again, s.type, s.data);
    }
  }
  Sink second{again, {}};
  if (!rg::proto::for_each_eio_packet(again, scratch, on_packet, &second)) std::abort();
  if (second.seen.size() != first.seen.size()) std::abort();
  for (size_t i = 0; i < first.seen.size(); ++i) {
    const Seen& a = first.seen[i];
    const Seen& b = second.seen[i];
    if (a.binary != b.binary || a.data != b.data || (!a.binary && a.type != b.type)) std::abort();
  }
  std::string decoded;
  if (rg::proto::decode_base64(input, decoded)) {
    std::string encoded;
    rg::proto::append_base64(encoded, std::as_bytes(std::span(decoded)));
    if (encoded.size() != input.size()) std::abort();
  }
  return 0;
}
