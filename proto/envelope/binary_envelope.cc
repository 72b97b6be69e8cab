#include "proto/envelope/binary_envelope.h"

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
    case kAuth:
      out.op = RequestOp::kAuth;
      out.token = in.rest();
      if ((flags & kFlagCookie) != 0) {  // (UDP) the cookie ends the frame
        if (out.token.size() < kCookieBytes) {
          return fail(ErrorCode::kBadCookie, "a cookie is 16 bytes");
        }
        out.cookie = out.token.substr(out.token.size() - kCookieBytes);
        out.token.remove_suffix(kCookieBytes);
      }
      if (out.token.empty() || out.token.size() > kMaxTokenBytes) {
        return fail(ErrorCode::kBadRequest, "a token is 1 to 8192 bytes");
      }
      return {};
    case kPresence:
      out.op = RequestOp::kPresence;
      break;
    case kSession: {
      out.op = RequestOp::kSession;
      if ((flags & kFlagToken) == 0) return {};
      uint8_t token_length, low, high;
      if (!in.u8(token_length) || !in.bytes(token_length, out.session)) {
        return fail(ErrorCode::kBadRequest, "token runs past the frame");
      }
      if (out.session.size() > kMaxSessionBytes) {
        return fail(ErrorCode::kBadRequest, "a session token is at most 64 bytes");
      }
      std::string_view offsets = in.rest();
      Reader entries(std::as_bytes(std::span(offsets.data(), offsets.size())));
      if (!entries.u8(low) || !entries.u8(high)) {
        return fail(ErrorCode::kBadRequest, "offsets run past the frame");
      }
      for (size_t i = 0, n = size_t{low} | size_t{high} << 8; i < n; ++i) {
        uint8_t room_length;
        std::string_view room, seq;
        if (!entries.u8(room_length) || !entries.bytes(room_length, room) ||
            !entries.bytes(8, seq)) {
          return fail(ErrorCode::kBadRequest, "offsets run past the frame");
        }
        if (!is_valid_room_name(room)) {
          return fail(ErrorCode::kBadRoom, "room names are 1-128 letters, digits, _ . : -");
        }
      }
      if (entries.left() != 0) return fail(ErrorCode::kBadRequest, "bytes after the last field");
      out.offsets = offsets;
      return {};
    }
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
    if ((flags & kFlagKey) != 0) {
      uint8_t key_length;
      if (!in.u8(key_length) || !in.bytes(key_length, out.key)) {
        return fail(ErrorCode::kBadRequest, "key runs past the frame");
      }
      if (out.key.empty() || out.key.size() > kMaxKeyBytes) {
        return fail(ErrorCode::kBadRequest, "a key is 1 to 64 bytes");
      }
    }
    if ((flags & kFlagEvent) != 0) {
      uint8_t event_length;
      if (!in.u8(event_length) || !in.bytes(event_length, out.event)) {
        return fail(ErrorCode::kBadRequest, "event runs past the frame");
      }
      if (!is_valid_event_name(out.event)) {
        return fail(ErrorCode::kBadRequest,
                    "an event is 1 to 64 printable ASCII characters, no quote or backslash");
      }
    }
    if ((flags & kFlagConflationKey) != 0) {
      uint8_t ckey_length;
      if (!in.u8(ckey_length) || !in.bytes(ckey_length, out.ckey)) {
        return fail(ErrorCode::kBadRequest, "ckey runs past the frame");
      }
      if (out.ckey.empty() || out.ckey.size() > kMaxKeyBytes) {
        return fail(ErrorCode::kBadRequest, "a ckey is 1 to 64 bytes");
      }
    }
    out.data = in.rest();
    return {};
  }
  if (out.op == RequestOp::kJoin) {
    if ((flags & kFlagResume) != 0) {
      std::string_view since;
      uint8_t epoch_length;
      if (!in.bytes(8, since) || !in.u8(epoch_length) || !in.bytes(epoch_length, out.epoch)) {
        return fail(ErrorCode::kBadRequest, "since and epoch run past the frame");
      }
      if (out.epoch.size() > kMaxEpochBytes) {
        return fail(ErrorCode::kBadRequest, "an epoch is at most 64 bytes");
      }
      out.has_since = true;
      for (int i = 7; i >= 0; --i) out.since = (out.since << 8) | static_cast<uint8_t>(since[i]);
    }
    if ((flags & kFlagInfo) != 0) {
      uint8_t low, high;
      if (!in.u8(low) || !in.u8(high) || !in.bytes(size_t{low} | size_t{high} << 8, out.info)) {
        return fail(ErrorCode::kBadRequest, "info runs past the frame");
      }
      // The caller checks that it is one JSON object.
    }
    out.presence = (flags & kFlagPresence) != 0;
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

size_t msg_size(std::string_view room, size_t data_size, std::string_view event) noexcept {
  return kHeaderSize + 1 + room.size() + 8 + (event.empty() ? 0 : 1 + event.size()) + data_size;
}

void write_msg(std::byte* out, std::string_view room, uint64_t seq, std::string_view data,
               bool data_is_json, std::string_view event) noexcept {
  Writer w(out);
  uint8_t flags = (data_is_json ? kFlagJsonData : 0) | (event.empty() ? 0 : kFlagEvent);
  w.header(kMsg, flags, {});
  w.room(room);
  w.u64(seq);
  if (!event.empty()) w.room(event);  // a u8 length and the bytes, as a room
  w.raw(data);
}

size_t write_joined(std::byte* out, std::string_view room, uint64_t seq, std::string_view epoch,
                    std::string_view member, bool resumed, bool recovered,
                    std::string_view id) noexcept {
  Writer w(out);
  uint8_t flags = (resumed ? kFlagResumed : 0) | (resumed && recovered ? kFlagRecovered : 0);
  w.header(kJoined, flags, id);
  w.room(room);
  w.u64(seq);
  w.room(epoch.substr(0, 64));  // a u8 length and the bytes, as a room
  w.room(member.substr(0, 64));
  return w.size();
}

size_t write_left(std::byte* out, std::string_view room, std::string_view id) noexcept {
  Writer w(out);
  w.header(kLeft, 0, id);
  w.room(room);
  return w.size();
}

size_t write_ack(std::byte* out, std::string_view id, uint64_t seq, bool duplicate) noexcept {
  Writer w(out);
  w.header(kAck, duplicate ? kFlagDuplicate : 0, id);
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

size_t write_conflated(std::byte* out, std::string_view room, uint64_t count) noexcept {
  Writer w(out);
  w.header(kConflated, 0, {});
  w.room(room);
  w.u64(count);
  return w.size();
}

size_t write_cookie(std::byte* out, std::span<const std::byte, kCookieBytes> cookie) noexcept {
  Writer w(out);
  w.header(kCookie, 0, {});
  w.raw(std::string_view(reinterpret_cast<const char*>(cookie.data()), cookie.size()));
  return w.size();
}

size_t write_session(std::byte* out, std::string_view token, bool resumed,
                     std::string_view id) noexcept {
  Writer w(out);
  w.header(kSessionReply, resumed ? kFlagResumed : 0, id);
  w.room(token.substr(0, 64));  // a u8 length and the bytes
  return w.size();
}

size_t write_auth(std::byte* out, std::string_view sub, int64_t exp, std::string_view id) noexcept {
  Writer w(out);
  w.header(kAuthReply, 0, id);
  w.u64(static_cast<uint64_t>(exp));
  w.room(sub.substr(0, 64));  // a u8 length and the bytes
  return w.size();
}

size_t write_pong(std::byte* out, std::string_view id) noexcept {
  Writer w(out);
  w.header(kPong, 0, id);
  return w.size();
}

namespace {

void put_u8(std::string& out, uint8_t v) {
  out += static_cast<char>(v);
}
void put_u16(std::string& out, uint16_t v) {
  put_u8(out, static_cast<uint8_t>(v));
  put_u8(out, static_cast<uint8_t>(v >> 8));
}
void put_short(std::string& out, std::string_view s) {  // u8 length + bytes
  s = s.substr(0, 255);
  put_u8(out, static_cast<uint8_t>(s.size()));
  out += s;
}
void put_long(std::string& out, std::string_view s) {  // u16 length + bytes
  s = s.substr(0, 65535);
  put_u16(out, static_cast<uint16_t>(s.size()));
  out += s;
}

}  // namespace

void append_presence_head(std::string& out, std::string_view room, std::string_view id,
                          uint32_t count, uint16_t listed) {
  put_u8(out, kPresenceList);
  put_u8(out, 0);
  put_short(out, id);
  put_short(out, room);
  for (int i = 0; i < 4; ++i) put_u8(out, static_cast<uint8_t>(count >> (8 * i)));
  put_u16(out, listed);
}

void append_presence_member(std::string& out, std::string_view member, std::string_view info) {
  put_short(out, member);
  put_long(out, info);
}

void append_presence_event(std::string& out, std::string_view room, bool joined,
                           std::string_view member, std::string_view info) {
  put_u8(out, kPresenceEvent);
  put_u8(out, 0);
  put_u8(out, 0);  // no id
  put_short(out, room);
  put_u8(out, joined ? kEventJoin : kEventLeave);
  put_short(out, member);
  put_long(out, joined ? info : std::string_view());
}

}  // namespace rg::proto::bin
