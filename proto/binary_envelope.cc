#include "proto/binary_envelope.h"

#include <algorithm>
#include <cstring>

namespace rg::proto::bin {

namespace {

class Reader {
 public:
  explicit Reader(std::span<const std::byte> bytes) : p_(bytes.data()), end_(p_ + bytes.size()) {}
  bool u8(uint8_t& out) {
    if (p_ == end_) return false;
    out = std::to_integer<uint8_t>(*p_++);
    return true;
  }
  bool bytes(size_t n, std::string_view& out) {
    if (static_cast<size_t>(end_ - p_) < n) return false;
    out = std::string_view(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return true;
  }
  std::string_view rest() {
    std::string_view out(reinterpret_cast<const char*>(p_), static_cast<size_t>(end_ - p_));
    p_ = end_;
    return out;
  }
  size_t left() const { return static_cast<size_t>(end_ - p_); }

 private:
  const std::byte* p_;
  const std::byte* end_;
};

RequestError fail(ErrorCode code, const char* message) {
  return RequestError{code, message};
}

class Writer {
 public:
  explicit Writer(std::byte* out) : start_(out), p_(out) {}
  void u8(uint8_t v) { *p_++ = static_cast<std::byte>(v); }
  void u16(uint16_t v) {
    u8(static_cast<uint8_t>(v));
    u8(static_cast<uint8_t>(v >> 8));
  }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) u8(static_cast<uint8_t>(v >> (8 * i)));
  }
  void raw(std::string_view s) {
    if (!s.empty()) std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  void header(uint8_t op, uint8_t flags, std::string_view id) {
    id = id.substr(0, 255);
    u8(op);
    u8(flags);
    u8(static_cast<uint8_t>(id.size()));
    raw(id);
  }
  void room(std::string_view room) {
    room = room.substr(0, 255);
    u8(static_cast<uint8_t>(room.size()));
    raw(room);
  }
  size_t size() const { return static_cast<size_t>(p_ - start_); }

 private:
  std::byte* start_;
  std::byte* p_;
};

}  // namespace

RequestError parse_request(std::span<const std::byte> frame, Request& out) noexcept {
  out = Request{};
  Reader in(frame);
  uint8_t op, flags, id_length;
  if (!in.u8(op) || !in.u8(flags) || !in.u8(id_length)) {
    return fail(ErrorCode::kBadRequest, "frame shorter than its 3-byte header");
  }
  if (!in.bytes(id_length, out.id)) return fail(ErrorCode::kBadRequest, "id runs past the frame");
  if (out.id.size() > kMaxIdBytes) {
    out.id = {};
    return fail(ErrorCode::kBadId, "id is longer than 128 bytes");
  }
  switch (op) {
    case kJoin:
      out.op = RequestOp::kJoin;
      break;
    case kLeave:
      out.op = RequestOp::kLeave;
      break;
    case kPub:
      out.op = RequestOp::kPub;
      break;
    case kHello:
      out.op = RequestOp::kHello;
      return {};
    case kPing:
      out.op = RequestOp::kPing;
      return {};
    default:
      return fail(ErrorCode::kUnknownOp, "unknown op byte");
  }
  uint8_t room_length;
  if (!in.u8(room_length) || !in.bytes(room_length, out.room)) {
    return fail(ErrorCode::kBadRequest, "room runs past the frame");
  }
  if (!is_valid_room_name(out.room)) {
    return fail(ErrorCode::kBadRoom, "room names are 1-128 letters, digits, _ . : -");
  }
  if (out.op == RequestOp::kPub) {
    out.echo = (flags & kFlagEcho) != 0;
    out.data_is_json = (flags & kFlagJsonData) != 0;
    out.data = in.rest();
    return {};
  }
  if (out.op == RequestOp::kJoin && in.left() > 0) {
    if (in.left() != kCookieBytes) return fail(ErrorCode::kBadCookie, "a cookie is 16 bytes");
    in.bytes(kCookieBytes, out.cookie);
  }
  if (in.left() != 0) return fail(ErrorCode::kBadRequest, "bytes after the last field");
  return {};
}

size_t write_request(std::byte* out, uint8_t op, uint8_t flags, std::string_view id,
                     std::string_view room) noexcept {
  Writer w(out);
  w.header(op, flags, id);
  w.room(room);
  return w.size();
}

size_t msg_size(std::string_view room, size_t data_size) noexcept {
  return kHeaderSize + 1 + room.size() + 8 + data_size;
}

void write_msg(std::byte* out, std::string_view room, uint64_t seq, std::string_view data,
               bool data_is_json) noexcept {
  Writer w(out);
  w.header(kMsg, data_is_json ? kFlagJsonData : 0, {});
  w.room(room);
  w.u64(seq);
  w.raw(data);
}

size_t write_joined(std::byte* out, std::string_view room, uint64_t seq,
                    std::string_view id) noexcept {
  Writer w(out);
  w.header(kJoined, 0, id);
  w.room(room);
  w.u64(seq);
  return w.size();
}

size_t write_left(std::byte* out, std::string_view room, std::string_view id) noexcept {
  Writer w(out);
  w.header(kLeft, 0, id);
  w.room(room);
  return w.size();
}

size_t write_ack(std::byte* out, std::string_view id, uint64_t seq) noexcept {
  Writer w(out);
  w.header(kAck, 0, id);
  w.u64(seq);
  return w.size();
}

size_t write_error(std::byte* out, ErrorCode code, std::string_view message,
                   std::string_view id) noexcept {
  message = message.substr(0, 255);
  Writer w(out);
  w.header(kError, 0, id);
  w.u8(static_cast<uint8_t>(code));
  w.u16(static_cast<uint16_t>(message.size()));
  w.raw(message);
  return w.size();
}

size_t write_gap(std::byte* out, std::string_view room, uint64_t from, uint64_t to) noexcept {
  Writer w(out);
  w.header(kGap, 0, {});
  w.room(room);
  w.u64(from);
  w.u64(to);
  return w.size();
}

size_t write_cookie(std::byte* out, std::span<const std::byte, kCookieBytes> cookie) noexcept {
  Writer w(out);
  w.header(kCookie, 0, {});
  w.raw(std::string_view(reinterpret_cast<const char*>(cookie.data()), cookie.size()));
  return w.size();
}

size_t write_pong(std::byte* out, std::string_view id) noexcept {
  Writer w(out);
  w.header(kPong, 0, id);
  return w.size();
}

}  // namespace rg::proto::bin
