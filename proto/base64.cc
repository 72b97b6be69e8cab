#include "proto/base64.h"

#include <openssl/evp.h>

namespace rg::proto {

namespace {

bool base64_char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

}  // namespace

size_t write_base64(char* out, std::span<const std::byte> data) noexcept {
  if (data.empty()) return 0;
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out),
                          reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  return static_cast<size_t>(n);
}

void append_base64(std::string& out, std::span<const std::byte> data) {
  size_t at = out.size();
  out.resize(at + base64_size(data.size()) + 1);
  out.resize(at + write_base64(out.data() + at, data));
}

bool decode_base64(std::string_view text, std::string& out) noexcept {
  if (text.size() % 4 != 0) return false;
  if (text.empty()) return true;
  size_t padding = text.back() != '=' ? 0 : text[text.size() - 2] == '=' ? 2 : 1;
  for (size_t i = 0; i < text.size() - padding; ++i) {
    if (!base64_char(text[i])) return false;
  }
  size_t at = out.size();
  out.resize(at + text.size() / 4 * 3);
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data() + at),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return false;
  out.resize(at + static_cast<size_t>(n) - padding);
  return true;
}

}  // namespace rg::proto
