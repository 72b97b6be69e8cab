#pragma once
// One shard's durable sessions, the table owning each of them for its whole life:
//  - live: a connection of this shard asked for one (`{"op":"session"}`); the table holds
//    its token, and while a resume is being answered the request waiting for its record.
//    The connection's rooms stay the hub's memberships (the delivery loop reads them).
//  - kept: its connection went away; what it was doing (its rooms, each with its epoch,
//    the last seq handed to it, its presence info and whether it wanted notices) waits
//    for --session-ttl under its token until a new connection, on any shard, takes it.
// The token names the shard that keeps the session (its home); taking a record moves it:
// the new connection's shard becomes the session's home, under a new token.
//
// Bounded: live sessions by the shard's connections (one per connection at most), kept
// ones by `max_sessions` (the oldest are forgotten first), each for at most `ttl_ms`.
// Single-threaded (the shard's); what crosses shards is SessionMessage.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/bus/bus.h"
#include "gateway/rooms/room_message.h"

namespace rg::gateway {

// The sessions' topic on the shards' mailboxes (the gateway protocol's), and Socket.IO's
// recoverable sessions' (gateway/sio/), which use the same records and messages.
inline constexpr uint8_t kSessionsTopic = 2;
inline constexpr uint8_t kSioSessionsTopic = 4;

struct SessionRoom {
  std::string room;
  uint64_t last_seq = 0;  // the last seq the gateway handed to the old connection
  std::string epoch;
  std::string info;  // presence info (a JSON object's bytes, or empty)
  bool presence = false;
  WireForm form = WireForm::kWsJson;
  uint64_t first_seq = 0;  // the room's seq when it was joined (Socket.IO recovery)
};

// A run of consecutive messages of one room handed to a connection: Socket.IO's recovery
// finds, from the one offset a client gives back, where it stood in every room.
struct SessionRun {
  uint64_t room_hash = 0;
  uint64_t first = 0;
  uint64_t last = 0;
};

// A session's record while no connection holds it.
struct SessionRecord {
  std::vector<SessionRoom> rooms;
  std::string name;              // Socket.IO: the socket's id, kept across a recovery
  std::vector<SessionRun> runs;  // Socket.IO: the last runs handed, oldest first
  bool runs_complete = false;    // no run was forgotten since the rooms were joined

  // A flat form, for a bus message (the record moves between shards as bytes).
  std::string serialize() const;
  static std::optional<SessionRecord> parse(std::string_view bytes);
};

// Asks a session's home shard for its record (kTake), and the answer (kRecord: `found`,
// `record` serialized); or gives the home a record to keep (kKeep, `record` serialized).
// Self-contained: it owns every byte it names.
class SessionMessage final : public core::BusMessage {
 public:
  enum class Kind : uint8_t { kTake, kRecord, kKeep };
  SessionMessage(Kind kind, std::string token, unsigned origin_shard, uint64_t origin_member,
                 uint8_t topic = kSessionsTopic)
      : BusMessage(topic),
        kind(kind),
        token(std::move(token)),
        origin_shard(origin_shard),
        origin_member(origin_member) {}

  const Kind kind;
  const std::string token;
  const unsigned origin_shard;
  const uint64_t origin_member;
  bool found = false;
  std::string record;  // SessionRecord::serialize()

 private:
  ~SessionMessage() override = default;
};

// A session while a connection of this shard holds it.
struct LiveSession {
  std::string token;
  // Its record is on its way from its home shard (a resume): the request to answer then.
  bool taking = false;
  WireForm form = WireForm::kWsJson;
  std::string request_id;
  std::vector<std::pair<std::string, uint64_t>> offsets;  // the client's own last seqs
};

class SessionTable {
 public:
  SessionTable(unsigned shard, size_t max_sessions, uint64_t ttl_ms);

  // A new token whose home is this shard: "<shard>-<32 hex digits>" (128 random bits).
  std::string issue();
  // The shard a token names, or -1 when it is not one of ours.
  static int home_of(std::string_view token, unsigned shards) noexcept;

  // The live session of connection `member`: opened with a new token (whose home is this
  // shard), found, or null when it has none.
  LiveSession& open(uint64_t member);
  LiveSession* live(uint64_t member) noexcept {
    auto it = live_.find(member);
    return it == live_.end() ? nullptr : &it->second;
  }
  // The connection of a live session went away: its record waits under its token until
  // the TTL (no record: it is forgotten, e.g. while its own resume was in flight).
  void close(uint64_t member, std::optional<SessionRecord> record, uint64_t now_ms);

  // A record waits under `token` until the TTL.
  void keep(std::string token, SessionRecord record, uint64_t now_ms);
  // Takes a record back (it is no longer kept here); nothing when unknown or expired.
  std::optional<SessionRecord> take(std::string_view token, uint64_t now_ms);
  // Forgets the records past their TTL; cheap when none is due.
  void expire(uint64_t now_ms);

  size_t size() const noexcept { return records_.size(); }  // kept sessions
  size_t live_count() const noexcept { return live_.size(); }
  size_t tracked() const noexcept { return order_.size(); }  // expiry entries, stale included
  bool enabled() const noexcept { return ttl_ms_ > 0 && max_sessions_ > 0; }

 private:
  struct Kept {
    SessionRecord record;
    uint64_t expires_ms;
  };
  unsigned shard_;
  size_t max_sessions_;
  uint64_t ttl_ms_;
  std::unordered_map<uint64_t, LiveSession> live_;  // by the connection's member id
  std::unordered_map<std::string, Kept> records_;
  std::deque<std::pair<std::string, uint64_t>> order_;  // (token, expiry), oldest first
};

}  // namespace rg::gateway
