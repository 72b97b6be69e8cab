#pragma once
// One Engine.IO session with its Socket.IO socket in namespace "/": a member of rooms that
// outlives the HTTP requests and WebSockets carrying it. Its home is the shard its sid
// names; every request for it is served there (SioService hands others over).
//
// Transports (Engine.IO v4): long-polling (a GET held until there is something to send,
// what waits being joined with 0x1e; a POST carrying the client's packets), then possibly
// a WebSocket after the probe ("2probe"/"3probe", "5"), or a WebSocket from the start.
// Heartbeats go from the server ("2", answered "3" within --sio-ping-timeout). What
// waits for a polling GET is bounded by --max-outbuf (past it: the slow-consumer policy).
//
// Socket.IO v5 (sio_events.cc): CONNECT in "/", the room events join/leave/publish/
// presence with their acks; room messages arrive as the publishes' events.

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/io/byte_block.h"
#include "core/shard/timer_wheel.h"
#include "gateway/http/front_door.h"
#include "gateway/rooms/member.h"
#include "gateway/sessions/session_table.h"
#include "gateway/sio/sio_config.h"
#include "gateway/transports/ws_session.h"
#include "proto/sio/engineio.h"
#include "proto/sio/socketio.h"

namespace rg::gateway {

class SioService;

class EioSession final : public Member, private HeldRequest, private WsMessageSink {
 public:
  EioSession(SioService& service, std::string sid) noexcept;
  ~EioSession() override;
  EioSession(const EioSession&) = delete;
  EioSession& operator=(const EioSession&) = delete;

  const std::string& sid() const noexcept { return sid_; }
  bool closed() const noexcept { return closed_; }
  bool upgraded() const noexcept { return ws_ != nullptr || probe_ != nullptr; }
  bool on_websocket() const noexcept { return ws_ != nullptr; }

  // The handshake, over polling (its GET is answered with the open packet) or over a
  // WebSocket (the open packet is its first frame).
  void open_polling(FrontDoor& door) noexcept;
  void open_websocket(WsSession& ws) noexcept;
  // Long-polling requests with this sid.
  void on_poll(FrontDoor& door) noexcept;
  void on_post(FrontDoor& door, std::string_view body) noexcept;
  // A WebSocket with this sid: the probe of an upgrade.
  void on_probe(WsSession& ws) noexcept;
  // Sends what waits to a held GET (once per tick, SioService::on_tick).
  void flush() noexcept;
  // Ends the session (`why` for the log); the service destroys it at the end of the tick.
  // A connected socket's state is kept for recovery (unless it disconnected itself).
  void close(const char* why) noexcept;
  // Recovery (sio_recovery.cc): the record asked of the pid's home shard has come (or
  // there is none).
  void resume_from(std::optional<SessionRecord> record) noexcept;

  // Member
  size_t queued_bytes() const noexcept override;
  bool send_encoded(const core::BlockRef& block, size_t offset, size_t length) noexcept override;
  void send_reply(WireForm form, std::span<const std::byte> body) noexcept override;
  void cut_off_slow() noexcept override { close("slow consumer"); }
  // The server API: a DISCONNECT ("io server disconnect": the client does not reconnect by
  // itself), nothing kept for recovery, then the transport closed.
  void disconnect() noexcept override;
  void cut_off_rate_limited() noexcept override { close("rate limit exceeded"); }
  void cut_off_unauthorized(bool expired) noexcept override {
    close(expired ? "token expired" : "unauthorized");
  }
  bool closing() const noexcept override { return closed_; }

 private:
  // Engine.IO packets, whatever carried them.
  // `padded`: the packet's text is followed by simdjson's padding (a WebSocket message's
  // is; a polling body's packets are not, and are copied once to parse).
  void on_packet(const proto::EioPacket& packet, bool padded) noexcept;
  std::string open_json(bool upgrade_to_websocket) const;
  static void on_polled_packet(void* self, const proto::EioPacket& packet) noexcept;
  void send_packet(proto::EioType type, std::string_view data) noexcept;
  void queue_for_poll(std::string_view packet_text) noexcept;
  void list_for_flush() noexcept;
  void answer_poll(std::string_view body) noexcept;
  void schedule_ping(uint64_t delay_ms) noexcept;
  static void on_heartbeat(void* self) noexcept;
  static void on_connect_deadline(void* self) noexcept;
  static void on_upgrade_deadline(void* self) noexcept;
  void end_probe() noexcept;
  // Socket.IO (sio_events.cc).
  void on_sio_text(std::string_view text, bool padded) noexcept;
  void on_sio_binary(std::span<const std::byte> data) noexcept;
  void on_sio_connect(const proto::SioPacket& packet) noexcept;
  void on_sio_event(const proto::SioPacket& packet) noexcept;
  void on_room_event(std::string_view name, simdjson::dom::array args, bool has_id,
                     uint64_t id) noexcept;
  void send_sio(std::string_view packet) noexcept;  // one Socket.IO packet, as a message
  void ack(uint64_t id, std::string_view json_args) noexcept;
  void ack_error(uint64_t id, std::string_view code, std::string_view message) noexcept;
  void leave_all_rooms() noexcept;
  void reply_connect(std::string_view socket_id) noexcept;
  // Recovery (sio_recovery.cc).
  void note_delivery(const std::byte* text, size_t size) noexcept;
  void note_reply(std::string_view op, simdjson::dom::object reply) noexcept;
  SessionRecord record() const;
  void start_recovery(std::string_view pid, std::string_view offset, bool has_offset) noexcept;
  void maybe_finish_recovery() noexcept;
  void finish_recovery(bool recovered) noexcept;
  void send_now(const core::BlockRef& block, size_t offset, size_t length) noexcept;
  // HeldRequest
  void on_front_door_gone(FrontDoor& door) noexcept override;
  // WsMessageSink
  void on_ws_message(WsSession& ws, proto::WsOpcode op,
                     std::span<std::byte> payload) noexcept override;
  void on_ws_gone(WsSession& ws) noexcept override;

  SioService& service_;
  const std::string sid_;
  bool closed_ = false;
  // Transports: a held GET, the WebSocket in use, a WebSocket being probed.
  FrontDoor* poll_ = nullptr;
  WsSession* ws_ = nullptr;
  WsSession* probe_ = nullptr;
  bool probe_answered_ = false;  // "3probe" was sent; the client pauses its polling
  std::string waiting_;          // packets for the next GET, joined with 0x1e
  bool flush_listed_ = false;
  bool pong_due_ = false;  // a ping was sent; its pong has not come
  core::Timer heartbeat_;
  core::Timer connect_deadline_;
  core::Timer upgrade_deadline_;  // a probe must end with "5" within --sio-upgrade-timeout
  // Socket.IO: the socket of namespace "/".
  bool connected_ = false;
  std::string socket_id_;  // the CONNECT reply's sid (not the Engine.IO one)
  std::string pid_;        // the private id that names the session for recovery
  std::string auth_;       // the CONNECT's auth object (its JSON), for the auth issue
  // The rooms joined, what was handed of each, and the runs handed (for recovery).
  struct SioRoom {
    std::string name;
    uint64_t hash = 0;
    std::string epoch;
    uint64_t first_seq = 0;  // the seq when joined
    uint64_t last_seq = 0;   // the last handed
    std::string info;
    bool presence = false;
    bool joined = false;  // its owner answered
  };
  std::vector<SioRoom> rooms_;
  static constexpr size_t kMaxRuns = 64;
  std::deque<SessionRun> runs_;
  bool runs_complete_ = true;
  // A recovery under way: the record asked for, then the rooms joined again with `since`,
  // what they deliver held back until every room has answered and replayed.
  enum class Recovery : uint8_t { kNone, kTaking, kJoining };
  Recovery recovery_ = Recovery::kNone;
  std::string offset_;
  bool has_offset_ = false;
  std::string recovered_name_;
  size_t joins_waiting_ = 0;
  bool all_recovered_ = true;
  std::vector<std::pair<uint64_t, uint64_t>> replay_targets_;  // (room hash, seq to reach)
  struct Held {
    core::BlockRef block;
    size_t offset;
    size_t length;
  };
  std::vector<Held> held_;
  size_t held_bytes_ = 0;
  bool disconnected_ = false;  // the client sent DISCONNECT: nothing to recover
  bool finish_due_ = false;    // the recovery ends at the end of this tick (flush())
  // A BINARY_EVENT waiting for its attachments (the binary messages that follow it).
  std::string binary_packet_;
  size_t binary_expected_ = 0;
  std::vector<std::string> attachments_;
  std::string scratch_;       // requests being built, replies being parsed (padded)
  size_t request_bytes_ = 0;  // of the Socket.IO packet being served (its rate limit)
  std::string out_;           // a packet being written
};

}  // namespace rg::gateway
