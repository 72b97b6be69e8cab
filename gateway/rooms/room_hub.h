#pragma once
// One shard's rooms: its members and the rooms they are in, the rooms it owns, and its end
// of the fanout bus. Sessions hand it requests; it answers them, publishes through the
// rooms' owners and delivers what the owners send back. Runs on its shard's thread only
// (as a service of the shard's mailbox, core/bus/mailbox.h, whose topic kRoomsTopic it takes).
//
// Where a room's order is decided is behind RoomOwnership (room_ownership.h): today a
// shard of this process (a hash of the name), later possibly another gateway of a
// cluster. The hub is that seam's Listener.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/bus/bus.h"
#include "core/bus/mailbox.h"
#include "core/counter.h"
#include "core/latency_histogram.h"
#include "core/shard/shard.h"
#include "gateway/admission/token_cache.h"
#include "gateway/rooms/member.h"
#include "gateway/rooms/room_message.h"
#include "gateway/rooms/room_owner.h"
#include "gateway/rooms/room_ownership.h"
#include "gateway/sessions/session_table.h"
#include "proto/envelope/envelope.h"
#include "proto/envelope/json_envelope.h"

namespace rg::gateway {

enum class SlowConsumer : uint8_t {
  kClose,  // a member that cannot keep up is cut off (WebSocket 1008 "slow consumer")
  kDrop,   // its messages are skipped, then it is told which sequence numbers it missed
  // its messages wait (bounded) and, of those with a conflation key, only the newest per
  // room and key; it is told how many were replaced (gateway/rooms/conflation.h)
  kConflate,
};

class RoomHub;

struct HubConfig {
  OwnerLimits owner;
  size_t max_rooms_per_member = 64;
  size_t max_payload = 64 * 1024;
  size_t max_outbuf = 4 << 20;
  size_t max_datagram = 2048;
  size_t max_presence_info = 1024;   // bytes of a join's "info"
  uint64_t session_ttl_ms = 120000;  // a session's record waits this long (0: no sessions)
  size_t max_sessions = 5000;        // records this shard keeps (--max-sessions / shards)
  SlowConsumer slow_consumer = SlowConsumer::kClose;
  size_t max_conflated_keys = 4096;  // --slow-consumer=conflate: keyed messages waiting per member
  RateLimits rate_limits;            // per member (off by default)
  // --auth required: every member but the server's own needs a token (JWT) within
  // first_ms of attaching, and rooms are joined and published to as its claims allow.
  struct Auth {
    bool required = false;
    proto::JwtConfig jwt;
    uint64_t first_ms = 10000;    // to authenticate after attaching (--handshake-timeout)
    uint64_t grace_ms = 30000;    // after token_expired, to refresh (--token-grace)
    size_t cache_entries = 4096;  // verified tokens kept per shard
  } auth;
  // Makes the hub's RoomOwnership (answering through `back`). Empty: the shards of this
  // process own the rooms (a hash of the name picks the shard).
  std::function<std::unique_ptr<RoomOwnership>(RoomHub& hub, RoomOwnership::Listener& back)>
      ownership;
};

struct RoomStats {
  core::Counter published;  // publishes accepted on this shard
  core::Counter delivered;  // messages queued to members
  core::Counter acks;
  core::Counter slow_closed;   // members cut off for not keeping up
  core::Counter slow_skipped;  // messages skipped for members that could not keep up
  core::Counter gaps_told;
  core::Counter conflated;         // messages replaced by newer ones of their ckey (never sent)
  core::Counter udp_oversize;      // messages not sent to UDP members: larger than a datagram
  core::Counter udp_undelivered;   // no UDP send slot free
  core::Counter held;              // times a publisher's reads were held by bus back-pressure
  core::Counter seq_jumps;         // a delivery skipped a sequence number (must stay 0)
  core::Counter resumes;           // joins with `since`
  core::Counter recovered;         // of which answered recovered
  core::Counter unrecovered;       // of which answered recovered:false (the rest: gone before)
  core::Counter replayed;          // messages sent from history to resuming members
  core::Counter duplicates;        // keyed publishes answered as duplicates
  core::Counter presence_events;   // join/leave notices sent to members
  core::Counter unavailable;       // memberships ended because an owner could not be reached
  core::Counter sessions_kept;     // sessions whose connection went away, kept
  core::Counter sessions_resumed;  // sessions taken back by a new connection
  core::Counter members_active;    // memberships of this shard's members (a gauge)
  core::Counter rate_limited_messages;  // requests refused: over --rate-limit-msgs
  core::Counter rate_limited_bytes;     // requests refused: over --rate-limit-bytes
  core::Counter rate_cut_off;           // members cut off after --rate-limit-grace
  core::Counter auth_missing;           // no token in time, or a request before one
  core::Counter auth_invalid;    // a token refused (signature, algorithm, claims, audience...)
  core::Counter auth_expired;    // a token expired (when given, or not refreshed in time)
  core::Counter auth_forbidden;  // a join or publish outside the token's rooms
  // From a publish's arrival on its publisher's shard to its frames queued to this shard's
  // members: observed once per message and shard.
  core::LatencyHistogram publish_to_queued;
  std::string to_string() const;
};

// A member's resume of one room: asked of the owner, then answered (`joined`, then the
// missed messages from history, paced by the member's output bound), with the live
// messages that arrive meanwhile queued behind them.
struct PendingReplay {
  Member* member = nullptr;
  std::string room;
  WireForm form = WireForm::kWsJson;
  std::string id;                     // the join's request id
  uint64_t last_sent = 0;             // the last seq sent to the member (its `since` at first)
  bool answered = false;              // `joined` was sent; `queue` is being sent
  bool left = false;                  // the member left before the answer: `left` follows `joined`
  std::string left_id;                // that leave's request id
  std::deque<RoomMessage*> queue;     // in seq order, each holding a reference
  size_t from_history = 0;            // the first this many of `queue` are the replay
  size_t live_bytes = 0;              // footprint of the live messages in `queue`
  uint64_t gap_from = 0, gap_to = 0;  // live messages skipped meanwhile (--slow-consumer=drop)
  size_t index = 0;                   // its place in RoomHub::replays_
  ~PendingReplay() {
    for (RoomMessage* message : queue) message->release();
  }
};

struct LocalRoom {
  struct Entry {
    Member* member;
    uint32_t membership;  // index in member->memberships()
  };
  // Replies held until the owner has told the room's last seq: the joins, and any leave
  // that follows one, so that a client always hears `joined` before its `left`.
  struct PendingReply {
    uint64_t member;
    WireForm form;
    std::string id;
    bool left = false;  // a `left` reply, not a `joined` one
  };
  std::string name;
  uint64_t hash = 0;
  bool active = false;  // the owner has answered this shard's join
  bool retire_listed = false;
  uint64_t last_seq = 0;
  std::string epoch;  // the owner's, told with `joined`
  // Members that left since the last tick, for one presence notice to the owner (u64 ids).
  std::string presence_leaving;
  // Members here that asked for presence notices: without any, a notice costs no walk of
  // the member list (a join storm in a big room would otherwise be quadratic).
  uint32_t presence_watchers = 0;
  std::vector<Entry> members;
  std::vector<PendingReply> pending;
};

class RoomHub final : public core::ShardMailbox::Service, private RoomOwnership::Listener {
 public:
  // Subscribes to the rooms' topic of `mailbox` and becomes one of its services.
  RoomHub(core::ShardMailbox& mailbox, const HubConfig& config);
  ~RoomHub() override;
  RoomHub(const RoomHub&) = delete;
  RoomHub& operator=(const RoomHub&) = delete;

  void attach(Member& member) noexcept;
  // Leaves every room (without replies); the member may be destroyed afterwards.
  void detach(Member& member) noexcept;

  // One request from `member`, in wire form `form`: answered (or refused with an error)
  // in that form.
  void handle(Member& member, WireForm form, const proto::Request& request) noexcept;
  void reply_error(Member& member, WireForm form, proto::RequestError error,
                   std::string_view id) noexcept;
  // Before a request of `bytes` from `member` is served (parsed or not): true when its
  // rate limits let it through; else it is answered `rate_limited` (request `id`) and not
  // to be executed, or, refused for --rate-limit-grace, the member is cut off.
  [[nodiscard]] bool admit(Member& member, WireForm form, size_t bytes,
                           std::string_view id) noexcept {
    if (!config_.rate_limits.on()) return true;
    return admit_limited(member, form, bytes, id);
  }
  // The bus toward some owner is backed up: publishers are held until it drains.
  bool congested() const noexcept;
  // Asks `room`'s owner for its history (after `since`, if given; at most `limit`
  // messages): the answer comes to member.on_history() (the server API's).
  void history(Member& member, std::string_view room, bool has_since, uint64_t since,
               uint32_t limit) noexcept;
  // --auth: a token's verdict (verified, or from this shard's cache), counted when refused.
  bool auth_required() const noexcept { return tokens_ != nullptr; }
  TokenCache::Verdict check_token(std::string_view token) noexcept;
  // The member authenticated with `claims` (a first token or a refresh: the same `sub`).
  void grant(Member& member, SharedClaims claims) noexcept;
  // The server cuts member `member_id` of this shard off (Member::disconnect). False
  // when there is no such member (or it is closing already).
  bool disconnect(uint64_t member_id) noexcept;

  proto::JsonRequestParser& json_parser() noexcept { return json_; }
  const HubConfig& config() const noexcept { return config_; }
  const RoomStats& stats() const noexcept { return stats_; }
  unsigned shard() const noexcept { return mailbox_.self(); }
  // When this shard's loop last woke (0 without a shard): the publish latency's clock.
  uint64_t wake_ns() const noexcept {
    const core::Shard* s = mailbox_.shard();
    return s != nullptr ? s->now_ns() : 0;
  }
  const LocalRoom* find_room(std::string_view name) const noexcept;
  const OwnedRooms& owned() const noexcept { return owned_; }
  core::ShardMailbox& mailbox() noexcept { return mailbox_; }

  // core::ShardMailbox::Service
  void on_tick() noexcept override;
  uint64_t sleep_limit_ms() noexcept override;
  bool idle() const noexcept override;
  bool take_activity() noexcept override { return std::exchange(activity_, false); }

 private:
  class ShardOwnership;

  bool admit_limited(Member& member, WireForm form, size_t bytes, std::string_view id) noexcept;
  // A notable event about `member` for the process' log.
  void log(const Member& member, std::string_view event, std::string_view why) noexcept;
  // Authentication (room_auth.cc).
  void auth(Member& member, WireForm form, const proto::Request& request) noexcept;
  // False (answered, and the member cut off) when --auth requires a token it lacks.
  bool authenticated(Member& member, WireForm form, const proto::Request& request) noexcept;
  bool allowed(Member& member, WireForm form, const proto::Request& request, bool publish) noexcept;
  void cut_off(Member& member, WireForm form, proto::RequestError error, std::string_view id,
               bool expired) noexcept;
  void schedule_auth(Member& member, uint64_t due_ms, uint8_t kind) noexcept;
  void run_auth_deadlines(uint64_t now_ms) noexcept;
  void join(Member& member, WireForm form, const proto::Request& request) noexcept;
  void leave(Member& member, WireForm form, const proto::Request& request) noexcept;
  void publish(Member& member, WireForm form, const proto::Request& request) noexcept;
  void remove_membership(Member& member, size_t index, std::string_view leave_id = {},
                         bool leaving = false) noexcept;
  void presence_query(Member& member, WireForm form, const proto::Request& request) noexcept;
  // A request to a room's owner from this shard (member 0: from the shard itself).
  RoomMessage::Fields fields_from(RoomMessage::Kind kind, std::string_view room, uint64_t hash,
                                  uint64_t member) const noexcept {
    RoomMessage::Fields fields;
    fields.kind = kind;
    fields.room = room;
    fields.room_hash = hash;
    fields.origin_shard = shard();
    fields.origin_member = member;
    return fields;
  }
  // Sessions (room_sessions.cc).
  void session(Member& member, WireForm form, const proto::Request& request) noexcept;
  void keep_session(Member& member) noexcept;
  void resume_session(Member& member, std::optional<SessionRecord> record) noexcept;
  static void on_session_bus(void* self, unsigned from, unsigned lane,
                             core::BusMessage* message) noexcept;
  void reply_session(Member& m, WireForm form, std::string_view token, bool resumed,
                     std::string_view id) noexcept;
  // Checks a join's resume and presence fields; false when refused (answered already).
  bool check_join_fields(Member& member, WireForm form, const proto::Request& request) noexcept;
  void ask_resume(Member& member, Membership& membership, const proto::Request& request) noexcept;
  void tell_presence_join(LocalRoom& room, Member& member, std::string_view info) noexcept;
  void flush_presence_leaves(LocalRoom& room) noexcept;
  // The live message `message` for a member still resuming the room.
  void queue_behind_replay(Member& member, Membership& membership,
                           const RoomMessage& message) noexcept;
  // Sends what the member's output bound allows of a replay; true when it is all sent.
  bool pump(PendingReplay& replay) noexcept;
  void end_replay(PendingReplay* replay) noexcept;
  // The membership's replay in progress, or null.
  PendingReplay* replay_for(const Member& member, const Membership& membership) const noexcept {
    if (!membership.replaying) return nullptr;
    auto it = replay_of_.find({member.member_id(), membership.room});
    return it == replay_of_.end() ? nullptr : it->second;
  }
  void pump_replays() noexcept;
  void from_owner(RoomMessage* message) noexcept;
  // RoomOwnership::Listener
  void on_joined(const RoomMessage& joined) noexcept override;
  void on_message(const RoomMessage& message) noexcept override;
  void on_replay(const RoomMessage& replay) noexcept override;
  void on_presence(const RoomMessage& presence) noexcept override;
  void on_history(const RoomMessage& history) noexcept override;
  void on_unavailable(std::string_view room) noexcept override;
  void to_owner(unsigned from, RoomMessage* message) noexcept;
  void deliver(LocalRoom& room, const RoomMessage& message) noexcept;
  void acknowledge(const RoomMessage& message) noexcept;
  void hold(Member& member) noexcept;
  void tell_owed_gaps() noexcept;
  // --slow-consumer=conflate: `message` waits in the member's conflation queue.
  void conflate(Member& member, const RoomMessage& message) noexcept;
  // Sends what conflating members have waiting, as far as their output allows.
  void drain_conflated() noexcept;
  [[nodiscard]] bool send_conflated(Member& member) noexcept;  // true: nothing left waiting
  // Joins and leaves of a room whose owner has not answered yet are answered later, in
  // order; a member may have a bounded number of them waiting.
  bool refuse_if_owing_too_many(Member& member, WireForm form, std::string_view id) noexcept;
  void owe_reply(LocalRoom& room, Member& member, WireForm form, std::string_view id,
                 bool left) noexcept;
  static void owner_send(void* self, unsigned shard, RoomMessage* message);
  // The mailbox's handler for kRoomsTopic.
  static void on_bus(void* self, unsigned from, unsigned lane, core::BusMessage* message) noexcept;

  // Sends one reply in `form`: `json(std::string&)` appends the JSON text, `binary(std::byte*)`
  // writes the envelope and returns its size.
  template <class Json, class Binary>
  void reply(Member& member, WireForm form, Json&& json, Binary&& binary) noexcept;
  // A `joined` for a join that did not ask to resume.
  void reply_joined(Member& m, WireForm form, const LocalRoom& room, std::string_view id) noexcept;
  void reply_joined(Member& m, WireForm form, const proto::JoinedReply& joined,
                    std::string_view id) noexcept;
  void reply_left(Member& m, WireForm form, std::string_view room, std::string_view id) noexcept;
  void reply_ack(Member& m, WireForm form, std::string_view id, uint64_t seq, bool duplicate,
                 std::string_view epoch) noexcept;
  void reply_gap(Member& m, WireForm form, std::string_view room, uint64_t from,
                 uint64_t to) noexcept;
  void reply_conflated(Member& m, WireForm form, std::string_view room, uint64_t count) noexcept;
  void reply_pong(Member& m, WireForm form, std::string_view id) noexcept;
  void reply_auth(Member& m, WireForm form, const proto::JwtClaims& claims,
                  std::string_view id) noexcept;

  HubConfig config_;
  core::ShardMailbox& mailbox_;
  OwnedRooms owned_;
  std::unique_ptr<RoomOwnership> ownership_;
  std::unordered_map<std::string, std::unique_ptr<LocalRoom>, StringHash, std::equal_to<>> rooms_;
  std::unordered_map<uint64_t, Member*> members_;
  std::vector<Member*> held_;
  // Members with skipped messages not yet told (--slow-consumer=drop): told as soon as
  // their output has drained to half of --max-outbuf, even if no later message comes.
  std::vector<uint64_t> gap_owed_;
  // Members with a conflation queue (--slow-consumer=conflate), drained as their output
  // allows.
  std::vector<uint64_t> conflating_;
  std::deque<RoomMessage*> inbox_;            // from the owner table of this very shard
  std::vector<LocalRoom*> retire_;            // rooms that may have lost their last member
  std::vector<LocalRoom*> presence_leaving_;  // rooms with leaves to tell their owners
  std::vector<std::unique_ptr<PendingReplay>> replays_;
  // The replay of each membership that is replaying (Membership::replaying).
  struct ReplayKey {
    uint64_t member;
    const LocalRoom* room;
    bool operator==(const ReplayKey&) const = default;
  };
  struct ReplayKeyHash {
    size_t operator()(const ReplayKey& k) const noexcept {
      return std::hash<uint64_t>()(k.member * 0x9E3779B97F4A7C15ull ^
                                   reinterpret_cast<uintptr_t>(k.room));
    }
  };
  std::unordered_map<ReplayKey, PendingReplay*, ReplayKeyHash> replay_of_;
  // Presence info of the memberships that gave one (member id -> (room, info)): kept
  // for sessions, off the members themselves (most give none).
  std::unordered_map<uint64_t, std::vector<std::pair<std::string, std::string>>> infos_;
  // Sessions, live (one per member that asked) and kept (members gone).
  SessionTable sessions_;
  size_t replays_sending_ = 0;  // answered replays with messages still to send
  proto::JsonRequestParser json_;
  std::string reply_;  // scratch for JSON replies
  // --auth required: verified tokens, and each member's next deadline (a first token due,
  // an expiry, the grace after it), earliest first; entries of an older generation are
  // stale and skipped.
  std::unique_ptr<TokenCache> tokens_;
  struct AuthDeadline {
    uint64_t due_ms;
    uint64_t member;
    uint32_t generation;
    uint8_t kind;  // kFirstToken, kExpiry, kGrace (room_auth.cc)
    bool operator>(const AuthDeadline& o) const noexcept { return due_ms > o.due_ms; }
  };
  std::vector<AuthDeadline> auth_deadlines_;  // a min-heap (std::push_heap with greater)
  RoomStats stats_;
  uint64_t next_member_id_ = 1;
  bool activity_ = false;  // rooms were forgotten since take_activity()
};

}  // namespace rg::gateway
