#pragma once
// Standard base64 with padding (RFC 4648 4), on OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock:
// what JSON members receive binary data as, the WebSocket accept key, Engine.IO's binary
// packets on long-polling.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace rg::proto {

constexpr size_t base64_size(size_t bytes) noexcept {
  return (bytes + 2) / 3 * 4;
}

// Writes the base64 of `data` at `out`, which must have room for base64_size() + 1 bytes
// (OpenSSL ends it with a NUL); returns base64_size().
size_t write_base64(char* out, std::span<const std::byte> data) noexcept;
void append_base64(std::string& out, std::span<const std::byte> data);
// Appends the bytes `text` encodes; false when it is not canonical padded base64 (OpenSSL
// alone would skip white space and not check the padding).
[[nodiscard]] bool decode_base64(std::string_view text, std::string& out) noexcept;

}  // namespace rg::proto
