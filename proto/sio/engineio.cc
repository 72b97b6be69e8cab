#include "proto/sio/engineio.h"

#include <charconv>

namespace rg::proto {

namespace {

constexpr char kSeparator = '\x1e';

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

}  // namespace rg::proto
