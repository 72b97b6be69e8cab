#include "proto/sio/engineio.h"

#include <openssl/evp.h>

#include <charconv>

namespace rg::proto {

namespace {

constexpr char kSeparator = '\x1e';

bool base64_char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

void append_number(std::string& out, uint64_t v) {
  char digits[24];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, v).ptr);
}

}  // namespace

bool parse_eio_text(std::string_view frame, EioPacket& out) noexcept {
  if (frame.empty() || frame[0] < '0' || frame[0] > '6') return false;
  out.type = static_cast<EioType>(frame[0] - '0');
  out.binary = false;
  out.data = frame.substr(1);
  return true;
}

bool for_each_eio_packet(std::string_view body, std::string& scratch, EioPacketSink on_packet,
                         void* context) noexcept {
  while (true) {
    size_t end = body.find(kSeparator);
    std::string_view record = body.substr(0, end);
    EioPacket packet;
    if (!record.empty() && record[0] == 'b') {
      scratch.clear();
      if (!decode_base64(record.substr(1), scratch)) return false;
      packet.binary = true;
      packet.data = scratch;
    } else if (!parse_eio_text(record, packet)) {
      return false;
    }
    on_packet(context, packet);
    if (end == std::string_view::npos) return true;
    body.remove_prefix(end + 1);
  }
}

void append_eio_text(std::string& body, EioType type, std::string_view data) {
  if (!body.empty()) body += kSeparator;
  body += static_cast<char>('0' + static_cast<int>(type));
  body += data;
}

void append_eio_binary(std::string& body, std::span<const std::byte> data) {
  if (!body.empty()) body += kSeparator;
  body += 'b';
  append_base64(body, data);
}

std::string eio_open_json(const EioOpen& open) {
  std::string out = "{\"sid\":\"";
  out += open.sid;  // our sids are URL-safe base64: nothing to escape
  out += open.upgrade_to_websocket ? "\",\"upgrades\":[\"websocket\"]" : "\",\"upgrades\":[]";
  out += ",\"pingInterval\":";
  append_number(out, open.ping_interval_ms);
  out += ",\"pingTimeout\":";
  append_number(out, open.ping_timeout_ms);
  out += ",\"maxPayload\":";
  append_number(out, open.max_payload);
  out += '}';
  return out;
}

void append_base64(std::string& out, std::span<const std::byte> data) {
  size_t at = out.size();
  out.resize(at + 4 * ((data.size() + 2) / 3) + 1);  // EVP_EncodeBlock writes a NUL
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data() + at),
                          reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(at + static_cast<size_t>(n));
}

bool decode_base64(std::string_view text, std::string& out) noexcept {
  // EVP_DecodeBlock skips white space and does not check padding: check it all here.
  if (text.size() % 4 != 0) return false;
  size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  for (size_t i = 0; i < text.size() - padding; ++i) {
    if (!base64_char(text[i])) return false;
  }
  if (text.empty()) return true;
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
