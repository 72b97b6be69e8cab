// libFuzzer target for the WebSocket frame parser.
//
// The input (after two control bytes) is parsed twice: whole, and cut into reads chosen by
// the second control byte, each read in a buffer of its own so ASan sees any access past
// it. Both parses must produce the same events. Like /echo, the handler writes a reply
// header in front of every in-place payload, which must be inside the read's buffer.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "proto/ws/ws_parser.h"

namespace {

struct Recorder {
  std::string events;
  const std::byte* begin = nullptr;
  const std::byte* end = nullptr;

  void on_message(rg::proto::WsOpcode op, std::span<std::byte> payload,
                  const rg::core::BlockRef* block) {
    size_t header = rg::proto::server_header_size(payload.size());
    if (block == nullptr) {
      if (payload.data() - begin < static_cast<ptrdiff_t>(header) ||
          payload.data() + payload.size() > end) {
        std::abort();
      }
    } else if (payload.data() - (*block)->data() !=
                   static_cast<ptrdiff_t>(rg::proto::kMaxServerHeader) ||
               payload.size() + rg::proto::kMaxServerHeader > (*block)->size()) {
      std::abort();
    }
    rg::proto::encode_server_header(payload.data() - header, op, payload.size());
    events += "M" + std::to_string(static_cast<int>(op)) + ":";
    events.append(reinterpret_cast<const char*>(payload.data()), payload.size());
    events += '|';
  }
  void on_ping(std::span<const std::byte> p) { add("P", p); }
  void on_pong(std::span<const std::byte> p) { add("O", p); }
  void on_close(uint16_t code, std::span<const std::byte> reason) {
    add("C" + std::to_string(code) + ":", reason);
  }
  void on_error(uint16_t code, const char*) { events += "E" + std::to_string(code) + "|"; }
  void add(const std::string& tag, std::span<const std::byte> p) {
    events += tag;
    events.append(reinterpret_cast<const char*>(p.data()), p.size());
    events += '|';
  }
};

std::string parse(const uint8_t* data, size_t size, size_t max, uint8_t seed, bool split) {
  Recorder r;
  rg::proto::WsParser<Recorder> parser(r, max);
  uint32_t state = seed * 2654435761u + 7;
  size_t at = 0;
  while (at < size) {
    size_t len = size - at;
    if (split) {
      state = state * 1103515245u + 12345u;
      len = std::min<size_t>(len, 1 + (state >> 16) % 300);
    }
    std::vector<std::byte> read(reinterpret_cast<const std::byte*>(data + at),
                                reinterpret_cast<const std::byte*>(data + at + len));
    r.begin = read.data();
    r.end = read.data() + read.size();
    bool more = parser.feed(read);
    at += len;
    if (!more) break;
  }
  return r.events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  size_t max = 1 + size_t{data[0]} * 64;
  uint8_t seed = data[1];
  data += 2;
  size -= 2;
  if (parse(data, size, max, seed, false) != parse(data, size, max, seed, true)) std::abort();
  return 0;
}
