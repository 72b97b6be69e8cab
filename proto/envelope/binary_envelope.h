#pragma once
// The gateway protocol's binary form: the payload of a raw TCP frame (after its 4-byte
// length), of a UDP datagram, or of a binary WebSocket frame on path /. Every frame starts
//
//   u8 op | u8 flags | u8 id_length | id (id_length bytes)
//
// then the op's fields; integers are little-endian, a room is u8 length + bytes. Layouts
// are in docs/PROTOCOL.md.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "proto/envelope/envelope.h"

namespace rg::proto::bin {

// Client to server.
// join: room [resume: u64 since, u8 epoch length, epoch] [info: u16 length, JSON object]
//       [cookie: 16 bytes, UDP only]; the bracketed fields as the flags say
inline constexpr uint8_t kJoin = 0x01;
inline constexpr uint8_t kLeave = 0x02;  // room
// pub: room [flag kFlagKey: u8 length, key] [kFlagEvent: u8 length, event]
//      [kFlagConflationKey: u8 length, ckey], data (the rest)
inline constexpr uint8_t kPub = 0x03;
inline constexpr uint8_t kHello = 0x04;  // (UDP) padding: at least kMinHelloSize in all
inline constexpr uint8_t kPing = 0x05;
inline constexpr uint8_t kPresence = 0x06;  // room
// session: [flag kFlagToken: u8 token length, token, u16 count, count x (room, u64 seq)]
inline constexpr uint8_t kSession = 0x07;
// auth: token (the rest of the frame) [flag kFlagCookie: then a 16-byte cookie, UDP]
inline constexpr uint8_t kAuth = 0x08;
// Server to client.
// joined: room, u64 seq, u8 epoch length, epoch, u8 member length, member
inline constexpr uint8_t kJoined = 0x81;
inline constexpr uint8_t kLeft = 0x82;    // room
inline constexpr uint8_t kMsg = 0x83;     // room, u64 seq, data (the rest of the frame)
inline constexpr uint8_t kAck = 0x84;     // u64 seq
inline constexpr uint8_t kError = 0x85;   // u8 code, u16 message length, message
inline constexpr uint8_t kGap = 0x86;     // room, u64 first missed seq, u64 last missed seq
inline constexpr uint8_t kCookie = 0x87;  // 16-byte cookie
inline constexpr uint8_t kPong = 0x88;
// presence answer: room, u32 count, u16 listed, listed x (u8 member length, member,
// u16 info length, info)
inline constexpr uint8_t kPresenceList = 0x89;
// presence notice: room, u8 event (kEventJoin, kEventLeave), u8 member length, member,
// u16 info length, info
inline constexpr uint8_t kPresenceEvent = 0x8a;
// session answer: u8 token length, token (flag kFlagResumed: the session was taken back)
inline constexpr uint8_t kSessionReply = 0x8b;
// auth answer: i64 exp (seconds since the epoch, 0: never), u8 sub length, sub
inline constexpr uint8_t kAuthReply = 0x8c;
// conflated: room, u64 count (messages replaced by newer ones of their conflation keys)
inline constexpr uint8_t kConflated = 0x8d;
inline constexpr uint8_t kEventJoin = 1;
inline constexpr uint8_t kEventLeave = 2;

// Flags.
inline constexpr uint8_t kFlagEcho = 0x01;      // pub: deliver to the publisher as well
inline constexpr uint8_t kFlagJsonData = 0x02;  // pub, msg: the data is a JSON value
inline constexpr uint8_t kFlagKey = 0x04;       // pub: an idempotency key follows the room
inline constexpr uint8_t kFlagResume = 0x04;    // join: since and epoch follow the room
inline constexpr uint8_t kFlagInfo = 0x08;      // join: presence info follows
inline constexpr uint8_t kFlagEvent =
    0x08;  // pub (after the key), msg (after the seq): an event name
inline constexpr uint8_t kFlagPresence = 0x10;       // join: send this member presence notices
inline constexpr uint8_t kFlagConflationKey = 0x10;  // pub (after the event): u8 length, ckey
inline constexpr uint8_t kFlagCookie = 0x04;         // auth (UDP): a 16-byte cookie ends the frame
inline constexpr uint8_t kFlagRecovered = 0x04;      // joined: the resume was recovered
inline constexpr uint8_t kFlagResumed = 0x08;        // joined: the join asked to resume
inline constexpr uint8_t kFlagDuplicate = 0x04;      // ack: the key was seen; the first seq
inline constexpr uint8_t kFlagToken = 0x04;          // session: a token (and offsets) follow

// A hello is at least as long as the cookie reply, so that the gateway never answers a
// forged source address with more bytes than it was sent.
inline constexpr size_t kMinHelloSize = 32;
inline constexpr size_t kHeaderSize = 3;

// Parses a client frame. `out` points into `frame`. A pub flagged kFlagJsonData is not
// checked here (the caller validates the JSON).
RequestError parse_request(std::span<const std::byte> frame, Request& out) noexcept;

// Client side (load generators, tools): writes a request's header and room, `op` being
// kJoin, kLeave or kPub (whose data the caller appends, as a join's cookie). Returns the
// size: at most kMaxRequestHead bytes.
inline constexpr size_t kMaxRequestHead = kHeaderSize + 255 + 1 + 255;
size_t write_request(std::byte* out, uint8_t op, uint8_t flags, std::string_view id,
                     std::string_view room) noexcept;

// Sizes and writers of server frames; each writer fills exactly the size bytes.
size_t msg_size(std::string_view room, size_t data_size, std::string_view event = {}) noexcept;
void write_msg(std::byte* out, std::string_view room, uint64_t seq, std::string_view data,
               bool data_is_json, std::string_view event = {}) noexcept;

// Small replies, written into `out` (at least kMaxReplySize bytes); returns the size.
inline constexpr size_t kMaxReplySize = kHeaderSize + 255 + 1 + 255 + 8 + 8 + 3 + 255 + 2 * 65;
// (kMaxReplySize has room for an epoch and a member id of up to 64 bytes each.)
size_t write_joined(std::byte* out, std::string_view room, uint64_t seq, std::string_view epoch,
                    std::string_view member, bool resumed, bool recovered,
                    std::string_view id) noexcept;
size_t write_left(std::byte* out, std::string_view room, std::string_view id) noexcept;
size_t write_ack(std::byte* out, std::string_view id, uint64_t seq, bool duplicate) noexcept;
size_t write_error(std::byte* out, ErrorCode code, std::string_view message,
                   std::string_view id) noexcept;
size_t write_gap(std::byte* out, std::string_view room, uint64_t from, uint64_t to) noexcept;
size_t write_conflated(std::byte* out, std::string_view room, uint64_t count) noexcept;
size_t write_cookie(std::byte* out, std::span<const std::byte, kCookieBytes> cookie) noexcept;
size_t write_pong(std::byte* out, std::string_view id) noexcept;
size_t write_auth(std::byte* out, std::string_view sub, int64_t exp, std::string_view id) noexcept;
size_t write_session(std::byte* out, std::string_view token, bool resumed,
                     std::string_view id) noexcept;

// Presence frames, appended to `out` (they can be long: up to --presence-limit members).
void append_presence_head(std::string& out, std::string_view room, std::string_view id,
                          uint32_t count, uint16_t listed);
void append_presence_member(std::string& out, std::string_view member, std::string_view info);
void append_presence_event(std::string& out, std::string_view room, bool joined,
                           std::string_view member, std::string_view info);

}  // namespace rg::proto::bin
