#include "gateway/transports/stream_member.h"

#include "gateway/rooms/wire_codec.h"
#include "proto/ws/ws_frame.h"

namespace rg::gateway {

void StreamMember::send_reply(WireForm form, std::span<const std::byte> body) noexcept {
  if (!replies_) return;
  std::byte header[proto::kMaxServerHeader];
  const WireCodec& codec = wire_codec(form);
  size_t n = codec.header_size(body.size());
  codec.write_header(header, body.size());
  // Both land in the connection's tail block: one copy, sent with the tick's other output.
  conn_.send_copy({header, n});
  conn_.send_copy(body);
  conn_.end_frame();
  ++counts_.messages_out;
}

}  // namespace rg::gateway
