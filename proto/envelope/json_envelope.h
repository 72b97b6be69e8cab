#pragma once
// The gateway protocol's JSON form (WebSocket text frames on path /): requests parsed with
// simdjson On-Demand in place, replies and messages written without a JSON library (their
// only variable parts are room names, which need no escaping, numbers, and values that are
// already JSON).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "proto/envelope/envelope.h"

namespace rg::proto {

// Readable bytes that must follow a request's text (simdjson reads ahead with SIMD).
inline constexpr size_t kJsonPadding = 64;

class JsonRequestParser {
 public:
  JsonRequestParser();
  ~JsonRequestParser();
  JsonRequestParser(const JsonRequestParser&) = delete;
  JsonRequestParser& operator=(const JsonRequestParser&) = delete;

  // Parses one request. `text` must be followed by kJsonPadding readable bytes. On success
  // `out` points into `text` (and, for unescaped strings, into the parser: valid until the
  // next parse). On failure the returned error names the problem and `out.id` holds the
  // request's id when it could be read, so that the error reply can repeat it.
  RequestError parse(std::string_view text, Request& out) noexcept;
  // Whether `text` is exactly one JSON value (with optional whitespace). `text` needs no
  // padding: it is copied (binary clients rarely publish JSON).
  bool is_valid_value(std::string_view text) noexcept;
  // Calls `fn(context, room, seq)` for each entry of a session request's offsets, in
  // either form (checked when the request was parsed). A JSON request's offsets must
  // still lie in its padded text.
  using OffsetFn = void (*)(void* context, std::string_view room, uint64_t seq);
  void for_each_offset(const Request& request, OffsetFn fn, void* context) noexcept;

  struct Impl;  // the simdjson parsers (their namespace is an alias: it cannot be declared)

 private:
  std::unique_ptr<Impl> impl_;
};

// What a `joined` says: the room's last seq and epoch, the member's id, and, when the join
// asked to resume, whether it was recovered.
struct JoinedReply {
  std::string_view room;
  uint64_t seq = 0;
  std::string_view epoch;
  std::string_view member;
  bool resumed = false;  // the join carried `since`: `recovered` is told
  bool recovered = false;
};

// Server messages. `id` is a raw JSON token (empty: the field is left out).
void append_json_joined(std::string& out, const JoinedReply& joined, std::string_view id);
// `duplicate`: a keyed publish already seen; `seq` is the first one's.
// `epoch`: the room's (hex digits, written as they are; empty: left out).
void append_json_ack(std::string& out, std::string_view id, uint64_t seq, bool duplicate,
                     std::string_view epoch = {});
// A presence answer, written in three steps: the head, each listed member (`info` is a
// JSON object's bytes, or empty for {}), the tail.
void append_json_presence_head(std::string& out, std::string_view room, std::string_view id,
                               uint64_t count);
void append_json_presence_member(std::string& out, bool first, std::string_view member,
                                 std::string_view info);
void append_json_presence_tail(std::string& out);
// A notice to the members that asked: `member` joined (with its info) or left.
void append_json_presence_event(std::string& out, std::string_view room, bool joined,
                                std::string_view member, std::string_view info);
void append_json_left(std::string& out, std::string_view room, std::string_view id);
void append_json_error(std::string& out, ErrorCode code, std::string_view message,
                       std::string_view id);
void append_json_gap(std::string& out, std::string_view room, uint64_t from, uint64_t to);
// {"op":"conflated","room":R,"count":N}: N messages of the room were replaced by newer ones
// of their conflation keys before they could be sent (--slow-consumer=conflate).
void append_json_conflated(std::string& out, std::string_view room, uint64_t count);
void append_json_pong(std::string& out, std::string_view id);
// The answer to auth: the token's subject and expiry (seconds since the epoch; 0: never).
void append_json_auth(std::string& out, std::string_view sub, int64_t exp, std::string_view id);
void append_json_session(std::string& out, std::string_view token, bool resumed,
                         std::string_view id);

// A room message: {"op":"msg","room":R,"seq":N,"data":D}. JSON data is spliced as is;
// binary data becomes a base64 string and the message says "bin":true.
size_t json_msg_size(std::string_view room, uint64_t seq, std::string_view event, size_t data_size,
                     bool data_is_json) noexcept;
// Writes exactly json_msg_size(...) bytes at `out`.
void write_json_msg(char* out, std::string_view room, uint64_t seq, std::string_view event,
                    std::string_view data, bool data_is_json) noexcept;

}  // namespace rg::proto
