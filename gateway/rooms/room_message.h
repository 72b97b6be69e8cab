#pragma once
// What room traffic looks like on the fanout bus: a publish (which becomes a delivery once
// its owner has given it a sequence number), the join/leave notices between a shard with
// members and a room's owner, resumes and their replays, presence. One allocation holds
// the fields and the bytes. A replay holds references to other room messages: they are
// bus messages too (immutable, with an atomic count), so the references may cross shards.
//
// A message is written by one shard and then only read: the publisher fills it, the
// owner sets `seq` before forwarding it (the ring's release/acquire orders that write
// before every reader), and each shard delivering it only reads.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <new>
#include <string_view>

#include "core/bus/bus.h"

namespace rg::gateway {

// How a member receives room traffic; each form is encoded at most once per message and
// shard.
enum class WireForm : uint8_t {
  kWsJson,
  kWsBinary,
  kTcp,
  kUdp,
  kSio,         // Socket.IO: an EVENT in WebSocket frames (gateway/sio/), JSON replies
  kSioOffsets,  // the same with recovery on: each event's last argument is its offset
  kRaw,         // a raw room's WebSocket member (/raw/<room>): the data alone, as its frame
};
inline constexpr size_t kWireForms = 7;

// The rooms' topic on the shards' mailboxes (core/bus/mailbox.h).
inline constexpr uint8_t kRoomsTopic = 1;

// A room's epoch: 16 hex digits (64 random bits), chosen by its owner.
inline constexpr size_t kEpochChars = 16;

class RoomMessage final : public core::BusMessage {
 public:
  enum class Kind : uint8_t {
    kPublish,        // to the owner: publish; from the owner: deliver (seq is set), or only
                     // acknowledge (duplicate(): a keyed publish seen before; seq is the first's)
    kJoin,           // to the owner: shard `origin_shard` has a first member in the room
    kLeave,          // to the owner: shard `origin_shard` has no member left
    kJoined,         // from the owner: the shard is a member shard, the room's last seq is `seq`,
                     // its epoch `epoch`
    kResume,         // to the owner: member `origin_member` has every message up to `seq` of
                     // `epoch` (empty: none given) and asks for the rest
    kReplay,         // from the owner: the answer to kResume: the room's last seq `seq`, its
                     // `epoch`, recovered(), and replayed() messages (references) to send first
    kPresenceJoin,   // to the owner: member `origin_member` is in the room, info `data`
    kPresenceLeave,  // to the owner: the members listed in `data` (u64 each) left
    kPresenceQuery,  // to the owner: member `origin_member` asks who is in (request `id`)
    kPresenceList,   // from the owner: the answer, `data` being the reply's body already
                     // written in `origin_form`
    kPresenceEvent,  // from the owner: member `id` (its name) joined (joined(): info `data`)
                     // or left
    kHistoryQuery,   // to the owner: member `origin_member` asks for the room's history
                     // after `seq` (flag: a since was given), at most history_limit()
    kHistory,        // from the owner: the answer: the room's last seq `seq`, its `epoch`,
                     // and replayed() messages (references), oldest first
  };

  struct Fields {
    Kind kind = Kind::kPublish;
    std::string_view room;
    uint64_t room_hash = 0;
    std::string_view data;
    std::string_view id;     // the publisher's request id (in its own wire form)
    std::string_view key;    // a publish's idempotency key
    std::string_view event;  // a publish's event name (Socket.IO members' event)
    std::string_view ckey;   // a publish's conflation key (--slow-consumer=conflate)
    std::string_view epoch;  // kJoined, kResume, kReplay
    bool data_is_json = false;
    // The data is a JSON string made of a raw member's text frame (JSON members see the
    // string; raw members get the text back as it was sent).
    bool raw_text = false;
    bool echo = false;
    bool flag = false;  // kReplay: recovered; kPresenceEvent: a join
    WireForm origin_form = WireForm::kWsJson;
    // The origin: {gateway, shard, member}. Gateway 0 is this process; a cluster of
    // gateways (later) names the others.
    uint32_t origin_gateway = 0;
    unsigned origin_shard = 0;
    uint64_t origin_member = 0;
    uint64_t seq = 0;
    uint64_t published_ns = 0;  // a publish: its arrival on the publisher's shard (monotonic)
  };

  static RoomMessage* create(const Fields& fields) {
    size_t extra = fields.room.size() + fields.id.size() + fields.key.size() + fields.epoch.size() +
                   fields.event.size() + fields.ckey.size() + fields.data.size();
    void* memory = ::operator new(sizeof(RoomMessage) + extra);
    return new (memory) RoomMessage(fields);
  }
  // A kReplay (or a kHistory, if `fields` says so): holds one reference to each of
  // `messages` (taken over from the caller).
  static RoomMessage* create_replay(Fields fields, RoomMessage* const* messages, size_t count) {
    if (fields.kind != Kind::kHistory) fields.kind = Kind::kReplay;
    fields.data =
        std::string_view(reinterpret_cast<const char*>(messages), count * sizeof(RoomMessage*));
    return create(fields);
  }
  static void operator delete(void* memory) { ::operator delete(memory); }

  Kind kind() const noexcept { return kind_; }
  std::string_view room() const noexcept { return {tail(), room_size_}; }
  uint64_t room_hash() const noexcept { return room_hash_; }
  std::string_view id() const noexcept { return {tail() + room_size_, id_size_}; }
  std::string_view key() const noexcept { return {tail() + room_size_ + id_size_, key_size_}; }
  std::string_view epoch() const noexcept {
    return {tail() + room_size_ + id_size_ + key_size_, epoch_size_};
  }
  std::string_view event() const noexcept {
    return {tail() + room_size_ + id_size_ + key_size_ + epoch_size_, event_size_};
  }
  std::string_view ckey() const noexcept {
    return {tail() + room_size_ + id_size_ + key_size_ + epoch_size_ + event_size_, ckey_size_};
  }
  std::string_view data() const noexcept {
    return {tail() + room_size_ + id_size_ + key_size_ + epoch_size_ + event_size_ + ckey_size_,
            data_size_};
  }
  bool data_is_json() const noexcept { return data_is_json_; }
  bool raw_text() const noexcept { return raw_text_; }
  bool echo() const noexcept { return echo_; }
  bool recovered() const noexcept { return flag_; }
  bool joined() const noexcept { return flag_; }
  WireForm origin_form() const noexcept { return origin_form_; }
  uint32_t origin_gateway() const noexcept { return origin_gateway_; }
  unsigned origin_shard() const noexcept { return origin_shard_; }
  uint64_t origin_member() const noexcept { return origin_member_; }
  uint64_t seq() const noexcept { return seq_; }
  uint64_t published_ns() const noexcept { return published_ns_; }
  bool duplicate() const noexcept { return duplicate_; }
  // kHistoryQuery: at most this many messages are asked for (in `data`, a u32).
  static RoomMessage* create_history_query(Fields fields, uint32_t limit) {
    fields.kind = Kind::kHistoryQuery;
    fields.data = std::string_view(reinterpret_cast<const char*>(&limit), sizeof limit);
    return create(fields);
  }
  uint32_t history_limit() const noexcept {
    uint32_t limit = 0;
    if (data_size_ == sizeof limit) std::memcpy(&limit, data().data(), sizeof limit);
    return limit;
  }
  bool has_since() const noexcept { return flag_; }
  // kReplay, kHistory: the messages, oldest first.
  size_t replayed() const noexcept { return data_size_ / sizeof(RoomMessage*); }
  RoomMessage* replayed(size_t i) const noexcept {
    RoomMessage* message;
    std::memcpy(&message, data().data() + i * sizeof(RoomMessage*), sizeof message);
    return message;
  }

  // The owner, before anyone else sees the message.
  void set_seq(uint64_t seq) noexcept { seq_ = seq; }
  void set_duplicate(uint64_t first_seq) noexcept {
    duplicate_ = true;
    seq_ = first_seq;
  }
  // A publish whose publisher reserved room for the epoch (kEpochChars bytes): the owner
  // writes the room's, so that the publisher's ack can tell it. Other sizes: unchanged.
  void set_epoch(std::string_view epoch) noexcept {
    if (epoch.size() == epoch_size_) {
      std::memcpy(tail() + room_size_ + id_size_ + key_size_, epoch.data(), epoch.size());
      epoch_written_ = true;
    }
  }
  // A publish's room epoch, for its ack: empty unless its owner wrote it (set_epoch).
  std::string_view written_epoch() const noexcept {
    return epoch_written_ ? epoch() : std::string_view();
  }
  // Bytes this message holds (for history limits).
  size_t footprint() const noexcept {
    return sizeof(RoomMessage) + room_size_ + id_size_ + key_size_ + epoch_size_ + event_size_ +
           ckey_size_ + data_size_;
  }

 private:
  explicit RoomMessage(const Fields& f) noexcept
      : BusMessage(kRoomsTopic),
        kind_(f.kind),
        data_is_json_(f.data_is_json),
        raw_text_(f.raw_text),
        echo_(f.echo),
        flag_(f.flag),
        origin_form_(f.origin_form),
        key_size_(static_cast<uint8_t>(f.key.size())),
        epoch_size_(static_cast<uint8_t>(f.epoch.size())),
        event_size_(static_cast<uint8_t>(f.event.size())),
        ckey_size_(static_cast<uint8_t>(f.ckey.size())),
        room_size_(static_cast<uint32_t>(f.room.size())),
        id_size_(static_cast<uint32_t>(f.id.size())),
        data_size_(f.data.size()),
        origin_gateway_(f.origin_gateway),
        origin_shard_(f.origin_shard),
        room_hash_(f.room_hash),
        origin_member_(f.origin_member),
        seq_(f.seq),
        published_ns_(f.published_ns) {
    char* p = tail();
    for (std::string_view part : {f.room, f.id, f.key, f.epoch, f.event, f.ckey, f.data}) {
      if (!part.empty()) std::memcpy(p, part.data(), part.size());
      p += part.size();
    }
  }
  ~RoomMessage() override {
    if (kind_ == Kind::kReplay || kind_ == Kind::kHistory) {
      for (size_t i = 0; i < replayed(); ++i) replayed(i)->release();
    }
  }

  char* tail() noexcept { return reinterpret_cast<char*>(this + 1); }
  const char* tail() const noexcept { return reinterpret_cast<const char*>(this + 1); }

  Kind kind_;
  bool data_is_json_;
  bool raw_text_;
  bool echo_;
  bool flag_;
  bool duplicate_ = false;
  bool epoch_written_ = false;
  WireForm origin_form_;
  uint8_t key_size_;    // at most proto::kMaxKeyBytes
  uint8_t epoch_size_;  // at most proto::kMaxEpochBytes
  uint8_t event_size_;  // at most proto::kMaxEventBytes
  uint8_t ckey_size_;   // at most proto::kMaxKeyBytes
  uint32_t room_size_;
  uint32_t id_size_;
  size_t data_size_;
  uint32_t origin_gateway_;
  unsigned origin_shard_;
  uint64_t room_hash_;
  uint64_t origin_member_;
  uint64_t seq_;
  uint64_t published_ns_;
};

// A stable hash of a room name (FNV-1a): the same room has the same owner on every run
// and, later, on every gateway of a cluster.
inline uint64_t room_hash(std::string_view room) noexcept {
  uint64_t h = 0xcbf29ce484222325ull;
  for (char c : room) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

// For maps keyed by std::string and searched with a string_view, without a copy.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return room_hash(s); }
};

}  // namespace rg::gateway
