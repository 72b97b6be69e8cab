#pragma once
// What room traffic looks like on the fanout bus: a publish (which becomes a delivery once
// its owner has given it a sequence number), and the join/leave notices between a shard
// with members and a room's owner. One allocation holds the fields and the bytes.
//
// A message is written by one shard and then only read: the publisher fills it, the
// owner sets `seq` before forwarding it (the ring's release/acquire orders that write
// before every reader), and each shard delivering it only reads.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <string_view>

#include "core/bus.h"

namespace rg::gateway {

// How a member receives room traffic; each form is encoded at most once per message and
// shard.
enum class WireForm : uint8_t { kWsJson, kWsBinary, kTcp, kUdp };
inline constexpr size_t kWireForms = 4;

// The rooms' topic on the shards' mailboxes (core/mailbox.h).
inline constexpr uint8_t kRoomsTopic = 1;

class RoomMessage final : public core::BusMessage {
 public:
  enum class Kind : uint8_t {
    kPublish,  // to the owner: publish; from the owner: deliver (seq is set)
    kJoin,     // to the owner: shard `origin_shard` has a first member in the room
    kLeave,    // to the owner: shard `origin_shard` has no member left
    kJoined,   // from the owner: the shard is a member shard, the room's last seq is `seq`
  };

  struct Fields {
    Kind kind = Kind::kPublish;
    std::string_view room;
    uint64_t room_hash = 0;
    std::string_view data;
    std::string_view id;  // the publisher's request id (in its own wire form)
    bool data_is_json = false;
    bool echo = false;
    WireForm origin_form = WireForm::kWsJson;
    unsigned origin_shard = 0;
    uint64_t origin_member = 0;
    uint64_t seq = 0;
  };

  static RoomMessage* create(const Fields& fields) {
    size_t extra = fields.room.size() + fields.id.size() + fields.data.size();
    void* memory = ::operator new(sizeof(RoomMessage) + extra);
    return new (memory) RoomMessage(fields);
  }
  static void operator delete(void* memory) { ::operator delete(memory); }

  Kind kind() const noexcept { return kind_; }
  std::string_view room() const noexcept { return {tail(), room_size_}; }
  uint64_t room_hash() const noexcept { return room_hash_; }
  std::string_view id() const noexcept { return {tail() + room_size_, id_size_}; }
  std::string_view data() const noexcept { return {tail() + room_size_ + id_size_, data_size_}; }
  bool data_is_json() const noexcept { return data_is_json_; }
  bool echo() const noexcept { return echo_; }
  WireForm origin_form() const noexcept { return origin_form_; }
  unsigned origin_shard() const noexcept { return origin_shard_; }
  uint64_t origin_member() const noexcept { return origin_member_; }
  uint64_t seq() const noexcept { return seq_; }
  // The owner, before anyone else sees the message.
  void set_seq(uint64_t seq) noexcept { seq_ = seq; }
  // Bytes this message holds (for history limits).
  size_t footprint() const noexcept {
    return sizeof(RoomMessage) + room_size_ + id_size_ + data_size_;
  }

 private:
  explicit RoomMessage(const Fields& f) noexcept
      : BusMessage(kRoomsTopic),
        kind_(f.kind),
        data_is_json_(f.data_is_json),
        echo_(f.echo),
        origin_form_(f.origin_form),
        room_size_(static_cast<uint32_t>(f.room.size())),
        id_size_(static_cast<uint32_t>(f.id.size())),
        data_size_(f.data.size()),
        origin_shard_(f.origin_shard),
        room_hash_(f.room_hash),
        origin_member_(f.origin_member),
        seq_(f.seq) {
    char* p = tail();
    std::memcpy(p, f.room.data(), f.room.size());
    if (!f.id.empty()) std::memcpy(p + f.room.size(), f.id.data(), f.id.size());
    if (!f.data.empty()) std::memcpy(p + f.room.size() + f.id.size(), f.data.data(), f.data.size());
  }
  ~RoomMessage() override = default;

  char* tail() noexcept { return reinterpret_cast<char*>(this + 1); }
  const char* tail() const noexcept { return reinterpret_cast<const char*>(this + 1); }

  Kind kind_;
  bool data_is_json_;
  bool echo_;
  WireForm origin_form_;
  uint32_t room_size_;
  uint32_t id_size_;
  size_t data_size_;
  unsigned origin_shard_;
  uint64_t room_hash_;
  uint64_t origin_member_;
  uint64_t seq_;
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
