#pragma once
// Every SQE carries its owner in the 64-bit user_data, so completions need no lookup
// table and no allocation per operation (the liburing examples' proxy.c does the same).
//
//   bits 56..63  operation kind
//   bits 32..55  generation of the slot (a reused slot gets a new one, so a late
//                completion for a closed connection is recognised and ignored)
//   bits  0..31  slot index (connection, listener or send slot)

#include <cstdint>

namespace rg::core {

enum class Op : uint8_t {
  kIgnore = 0,  // completions nobody waits for (cancel requests)
  kAccept,
  kRecv,
  kSend,
  kUdpRecv,
  kUdpSend,
  kWake,
  kConnect,
  kFilesUpdate,  // an entry of the registered file table set or cleared
};

struct UserData {
  Op op = Op::kIgnore;
  uint32_t generation = 0;  // only the low 24 bits are kept
  uint32_t index = 0;

  static constexpr uint32_t kGenerationMask = (1u << 24) - 1;

  constexpr uint64_t pack() const noexcept {
    return (uint64_t{static_cast<uint8_t>(op)} << 56) |
           (uint64_t{generation & kGenerationMask} << 32) | index;
  }
  static constexpr UserData unpack(uint64_t v) noexcept {
    return UserData{static_cast<Op>(v >> 56), static_cast<uint32_t>(v >> 32) & kGenerationMask,
                    static_cast<uint32_t>(v)};
  }
};

static_assert(UserData::unpack(UserData{Op::kSend, 0xabcdef, 0x12345678}.pack()).generation ==
              0xabcdef);
static_assert(UserData::unpack(UserData{Op::kSend, 0xabcdef, 0x12345678}.pack()).index ==
              0x12345678);
static_assert(UserData::unpack(UserData{Op::kSend, 0xabcdef, 0x12345678}.pack()).op == Op::kSend);

}  // namespace rg::core
