#include "proto/sio/socketio.h"

#include <charconv>

namespace rg::proto {

namespace {

constexpr uint64_t kMaxSafeInteger = (uint64_t{1} << 53) - 1;

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

void append_number(std::string& out, uint64_t v) {
  char digits[24];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, v).ptr);
}

bool payload_valid(SioType type, bool has_payload, simdjson::dom::element payload) noexcept {
  using simdjson::dom::element_type;
  switch (type) {
    case SioType::kConnect:
      return !has_payload || payload.type() == element_type::OBJECT;
    case SioType::kDisconnect:
      return !has_payload;
    case SioType::kConnectError:
      return !has_payload || payload.type() == element_type::OBJECT ||
             payload.type() == element_type::STRING;
    case SioType::kEvent:
    case SioType::kBinaryEvent: {
      if (!has_payload) return true;  // the reference lets it through, with no arguments
      simdjson::dom::array array;
      if (payload.get_array().get(array) || array.size() == 0) return false;
      simdjson::dom::element first = array.at(0).value_unsafe();
      switch (first.type()) {
        case element_type::INT64:
        case element_type::UINT64:
        case element_type::DOUBLE:
          return true;
        case element_type::STRING:
          return !is_reserved_sio_event(first.get_string().value_unsafe());
        default:
          return false;
      }
    }
    case SioType::kAck:
    case SioType::kBinaryAck:
      return !has_payload || payload.type() == element_type::ARRAY;
  }
  return false;
}

}  // namespace

const char* to_string(SioParse result) noexcept {
  switch (result) {
    case SioParse::kOk:
      return "ok";
    case SioParse::kUnknownType:
      return "unknown packet type";
    case SioParse::kBadAttachments:
      return "illegal attachments";
    case SioParse::kBadId:
      return "illegal ack id";
    case SioParse::kBadJson:
      return "invalid payload (not JSON)";
    case SioParse::kBadPayload:
      return "invalid payload";
  }
  return "?";
}

bool is_reserved_sio_event(std::string_view name) noexcept {
  return name == "connect" || name == "connect_error" || name == "disconnect" ||
         name == "disconnecting" || name == "newListener" || name == "removeListener";
}

SioParse parse_sio_packet(std::string_view text, simdjson::dom::parser& parser,
                          SioPacket& out) noexcept {
  out = SioPacket{};
  if (text.empty() || text[0] < '0' || text[0] > '6') return SioParse::kUnknownType;
  out.type = static_cast<SioType>(text[0] - '0');
  size_t at = 1;
  if (out.type == SioType::kBinaryEvent || out.type == SioType::kBinaryAck) {
    size_t dash = text.find('-', at);
    if (dash == std::string_view::npos || dash == at || dash - at > 3) {
      return SioParse::kBadAttachments;
    }
    for (size_t i = at; i < dash; ++i) {
      if (!is_digit(text[i])) return SioParse::kBadAttachments;
      out.attachments = out.attachments * 10 + static_cast<size_t>(text[i] - '0');
    }
    if (out.attachments > kMaxSioAttachments) return SioParse::kBadAttachments;
    at = dash + 1;
  }
  // The namespace ends at ',' or at the end of the packet ("40/admin" is valid).
  if (at < text.size() && text[at] == '/') {
    size_t comma = text.find(',', at);
    out.nsp =
        text.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at);
    at = comma == std::string_view::npos ? text.size() : comma + 1;
  }
  if (at < text.size() && is_digit(text[at])) {
    out.has_id = true;
    while (at < text.size() && is_digit(text[at])) {
      out.id = out.id * 10 + static_cast<uint64_t>(text[at] - '0');
      if (out.id > kMaxSafeInteger) return SioParse::kBadId;
      ++at;
    }
  }
  if (at < text.size()) {
    std::string_view json = text.substr(at);
    if (parser.parse(json.data(), json.size(), false).get(out.payload)) return SioParse::kBadJson;
    out.has_payload = true;
  }
  if (!payload_valid(out.type, out.has_payload, out.payload)) return SioParse::kBadPayload;
  return SioParse::kOk;
}

void append_sio_head(std::string& out, SioType type, std::string_view nsp, size_t attachments,
                     bool has_id, uint64_t id) {
  out += static_cast<char>('0' + static_cast<int>(type));
  if (type == SioType::kBinaryEvent || type == SioType::kBinaryAck) {
    append_number(out, attachments);
    out += '-';
  }
  if (nsp != "/") {
    out += nsp;
    out += ',';
  }
  if (has_id) append_number(out, id);
}

}  // namespace rg::proto
