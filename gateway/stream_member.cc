#include "gateway/stream_member.h"

#include "proto/length_prefixed.h"
#include "proto/ws_frame.h"

namespace rg::gateway {

void StreamMember::send_reply(WireForm form, std::span<const std::byte> body) noexcept {
  std::byte header[proto::kMaxServerHeader];
  size_t n;
  if (framing_ == Framing::kWebSocket) {
    proto::WsOpcode op =
        form == WireForm::kWsJson ? proto::WsOpcode::kText : proto::WsOpcode::kBinary;
    n = proto::encode_server_header(header, op, body.size());
  } else {
    proto::LengthPrefixedParser::write_header(header, static_cast<uint32_t>(body.size()));
    n = proto::LengthPrefixedParser::kHeaderSize;
  }
  // Both land in the connection's tail block: one copy, sent with the tick's other output.
  conn_.send_copy({header, n});
  conn_.send_copy(body);
  conn_.end_frame();
  ++conn_.stats().messages_out;
}

}  // namespace rg::gateway
