#pragma once
// The gateway protocol's operations, independent of their two wire forms (JSON text and
// the binary envelope; see docs/PROTOCOL.md). A parsed Request points into the bytes it was
// parsed from: it is valid only while they are.

#include <cstdint>
#include <string_view>

namespace rg::proto {

enum class RequestOp : uint8_t { kJoin, kLeave, kPub, kHello, kPing, kPresence, kSession, kAuth };

struct Request {
  RequestOp op = RequestOp::kPing;
  std::string_view room;
  // The client's request id, repeated in the reply: for JSON the raw token (a number, or a
  // string with its quotes), for the binary envelope opaque bytes. Empty: no id.
  std::string_view id;
  std::string_view data;  // pub: the JSON value's exact bytes, or the binary payload
  bool data_is_json = false;
  bool raw_text = false;    // pub: `data` is a JSON string made of a raw member's text frame
  bool echo = false;        // pub: the publisher receives its own message too
  std::string_view cookie;  // join over UDP: the cookie from the server's hello reply
  // join: resume. The client has every message of the room up to seq `since` of epoch
  // `epoch` (empty: none given).
  bool has_since = false;
  uint64_t since = 0;
  std::string_view epoch;
  // join: presence. `info` is a JSON object's exact bytes (empty: none); `presence`: the
  // member wants join and leave notices of the room.
  std::string_view info;
  bool presence = false;
  // pub: the idempotency key (empty: none), 1 to kMaxKeyBytes bytes.
  std::string_view key;
  // pub: the conflation key (empty: none), 1 to kMaxKeyBytes bytes. Under
  // --slow-consumer=conflate a member that cannot keep up gets only the newest message of
  // each (room, ckey) it has waiting.
  std::string_view ckey;
  // pub: the event name Socket.IO members receive the message as (empty: "message");
  // 1 to kMaxEventBytes printable ASCII characters but '"' and '\\' (is_valid_event_name).
  std::string_view event;
  // session: the token of the session to take back (empty: a new session), and the
  // client's own last seq per room, as the form wrote them (checked when parsed; read
  // with JsonRequestParser::for_each_offset).
  std::string_view session;
  std::string_view offsets;
  bool offsets_json = false;
  // auth: a JWT (1 to kMaxTokenBytes bytes).
  std::string_view token;
};

// Error codes, shared by both wire forms (the binary form sends the number).
enum class ErrorCode : uint8_t {
  kNone = 0,
  kBadJson = 1,     // not JSON, or not valid JSON
  kBadRequest = 2,  // not an object, a field missing or of the wrong type, a bad frame
  kUnknownOp = 3,
  kBadRoom = 4,        // not 1-128 bytes of letters, digits and _ . : -
  kBadId = 5,          // not a number or a string, or longer than kMaxIdBytes
  kTooLarge = 6,       // the data is larger than --max-payload
  kTooManyRooms = 7,   // --max-rooms-per-conn reached
  kNotJoined = 8,      // leave of a room the client is not in
  kBusy = 9,           // the gateway is shedding load (UDP publishes while back-pressured)
  kBadCookie = 10,     // a UDP join without a valid cookie
  kHelloFirst = 11,    // a UDP request from an address that has not joined
  kSlowConsumer = 12,  // the connection could not keep up and is being closed
  kTimeout = 13,       // a frame was not completed within --message-timeout
  kUnavailable = 14,   // the room's owner cannot be reached (a cluster's link is down)
  kDraining = 15,      // the gateway is shutting down: reconnect (to another gateway)
  kDisconnected = 16,  // the server (its API) disconnected the connection
  kRateLimited = 17,   // over --rate-limit-msgs or --rate-limit-bytes: not executed
  kUnauthorized = 18,  // --auth required: no valid token (the connection is closed)
  kTokenExpired = 19,  // the token expired: refresh it within --token-grace, or be closed
  kForbidden = 20,     // the token does not allow this room (join or pub)
};

struct RequestError {
  ErrorCode code = ErrorCode::kNone;
  const char* message = "";  // names the problem; a fixed ASCII text, no quotes
  explicit operator bool() const noexcept { return code != ErrorCode::kNone; }
};

// The JSON name of a code ("bad_room").
const char* error_code_name(ErrorCode code) noexcept;

inline constexpr size_t kMaxRoomBytes = 128;
inline constexpr size_t kMaxIdBytes = 128;
inline constexpr size_t kCookieBytes = 16;
inline constexpr size_t kMaxKeyBytes = 64;
inline constexpr size_t kMaxEpochBytes = 64;
inline constexpr size_t kMaxSessionBytes = 64;
inline constexpr size_t kMaxEventBytes = 64;
inline constexpr size_t kMaxTokenBytes = 8192;

// 1 to 128 bytes of ASCII letters, digits and _ . : -
bool is_valid_room_name(std::string_view room) noexcept;
// 1 to 64 printable ASCII characters (space included) but '"' and '\\': a name that
// needs no escaping in any JSON text it is written into.
bool is_valid_event_name(std::string_view event) noexcept;

}  // namespace rg::proto
