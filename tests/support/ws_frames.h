#pragma once
// Client-side WebSocket frames for tests: masked, with any header bits a test wants,
// including the invalid ones.

#include <cstdint>
#include <random>
#include <string>

namespace rg::testing {

struct FrameSpec {
  uint8_t opcode = 0x1;
  bool fin = true;
  uint8_t rsv = 0;  // the three RSV bits, as 0..7
  bool masked = true;
  int length_form = 0;  // 0: shortest; 126 or 127: force that form
  uint32_t mask = 0x37fa213d;
};

// A spec with just the opcode and FIN bit set: client_frame(p, op(0x2)), op(0x1, false).
inline FrameSpec op(uint8_t opcode, bool fin = true) {
  FrameSpec s;
  s.opcode = opcode;
  s.fin = fin;
  return s;
}

inline std::string client_frame(const std::string& payload, FrameSpec spec = {}) {
  std::string out;
  out += static_cast<char>((spec.fin ? 0x80 : 0) | (spec.rsv << 4) | spec.opcode);
  uint8_t mask_bit = spec.masked ? 0x80 : 0;
  uint64_t n = payload.size();
  int form = spec.length_form != 0 ? spec.length_form : n < 126 ? 0 : n <= 0xFFFF ? 126 : 127;
  if (form == 0) {
    out += static_cast<char>(mask_bit | n);
  } else if (form == 126) {
    out += static_cast<char>(mask_bit | 126);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n);
  } else {
    out += static_cast<char>(mask_bit | 127);
    for (int i = 7; i >= 0; --i) out += static_cast<char>(n >> (8 * i));
  }
  char mask[4] = {static_cast<char>(spec.mask >> 24), static_cast<char>(spec.mask >> 16),
                  static_cast<char>(spec.mask >> 8), static_cast<char>(spec.mask)};
  if (spec.masked) out.append(mask, 4);
  for (size_t i = 0; i < payload.size(); ++i) {
    out += spec.masked ? static_cast<char>(payload[i] ^ mask[i & 3]) : payload[i];
  }
  return out;
}

inline std::string close_payload(uint16_t code, const std::string& reason = "") {
  std::string p;
  p += static_cast<char>(code >> 8);
  p += static_cast<char>(code);
  return p + reason;
}

}  // namespace rg::testing
