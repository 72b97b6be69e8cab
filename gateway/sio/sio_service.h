#pragma once
// Engine.IO at /socket.io/ on the WebSocket port, one instance per shard: the shard's
// sessions (by sid; bounded), the handshake over polling or WebSocket, the requests of
// known sessions, CORS, and the reference server's error answers (HTTP 400 with
// {"code":N,"message":...}). A request for a sid whose home is another shard is handed
// to that shard with its connection (ConnectionHandOff): no sticky load balancing is
// needed inside a gateway.

#include <simdjson.h>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/bus/mailbox.h"
#include "core/counter.h"
#include "gateway/http/connection_hand_off.h"
#include "gateway/http/front_door.h"
#include "gateway/rooms/room_hub.h"
#include "gateway/sessions/session_table.h"
#include "gateway/sio/sio_config.h"

namespace rg::gateway {

class EioSession;

struct SioStats {
  core::Counter sessions_opened;
  core::Counter sessions_closed;
  core::Counter upgrades;
  core::Counter handed_off;   // requests sent to their session's home shard
  core::Counter refused;      // requests answered with an Engine.IO error
  core::Counter kept;         // sockets' state kept for recovery
  core::Counter recovered;    // recoveries answered whole
  core::Counter unrecovered;  // recoveries answered with a fresh socket
  std::string to_string() const;
};

class SioService final : public HttpHandler, public core::ShardMailbox::Service {
 public:
  SioService(RoomHub& hub, const SioConfig& config, ConnectionHandOff& hand_off) noexcept;
  ~SioService() override;

  // HttpHandler
  void on_request(FrontDoor& door, const proto::HttpRequest& request,
                  std::string_view body) noexcept override;
  void on_too_large(const proto::HttpRequest& request) noexcept override;
  // core::ShardMailbox::Service
  void on_tick() noexcept override;
  bool idle() const noexcept override { return flush_.empty() && closed_.empty(); }

  RoomHub& hub() noexcept { return hub_; }
  const SioConfig& config() const noexcept { return config_; }
  core::Shard& shard() noexcept { return *shard_; }
  simdjson::dom::parser& json() noexcept { return json_; }
  // For the hub's replies (parsed while a request's document may still be in use).
  simdjson::dom::parser& reply_json() noexcept { return reply_json_; }
  const SioStats& stats() const noexcept { return stats_; }

  // For sessions: flush at the end of the tick; destroy at the end of the tick.
  void flush_later(EioSession& session) noexcept { flush_.push_back(&session); }
  void closed(EioSession& session) noexcept;
  void count_upgrade() noexcept { ++stats_.upgrades; }
  // The client closed `sid` with a close packet. Its GET may still be on its way (it can
  // reach this shard after the POST, through another shard's hand-off): for a while such a
  // GET is answered with a close packet, as the reference answers a GET that follows a
  // close, not with "Session ID unknown".
  void note_client_close(const std::string& sid) noexcept;
  // Recovery: pids (naming this shard, where the record will be kept), records kept on
  // the shard a pid names, and taken back from it (answered by EioSession::resume_from).
  std::string issue_pid() { return records_.issue(); }
  void keep_record(const std::string& pid, SessionRecord record) noexcept;
  void take_record(EioSession& session, const std::string& pid) noexcept;
  void count_recovery(bool recovered) noexcept {
    ++(recovered ? stats_.recovered : stats_.unrecovered);
  }
  // Answers an Engine.IO error: 400 (or `status`) with {"code":N,"message":...}.
  void refuse(FrontDoor& door, int code, std::string_view message, int status = 400) noexcept;
  void respond(FrontDoor& door, int status, std::string_view content_type,
               std::string_view body) noexcept;

 private:
  void handshake(FrontDoor& door, const proto::HttpRequest& request,
                 std::string_view transport) noexcept;
  static void on_bus(void* self, unsigned from, unsigned lane, core::BusMessage* message) noexcept;
  EioSession* find(std::string_view sid) noexcept;
  bool closed_by_client(std::string_view sid) const noexcept;

  RoomHub& hub_;
  SioConfig config_;
  ConnectionHandOff& hand_off_;
  core::Shard* shard_ = nullptr;  // known at the first request (the hub's mailbox has it)
  std::unordered_map<std::string, std::unique_ptr<EioSession>, StringHash, std::equal_to<>>
      sessions_;
  std::vector<EioSession*> flush_;
  std::vector<std::unique_ptr<EioSession>> closed_;  // destroyed at the end of the tick
  // The last sids closed by their clients, oldest overwritten first (looked up only for
  // an unknown sid, so a scan is enough).
  struct ClientClose {
    std::string sid;
    uint64_t at_ms = 0;
  };
  static constexpr size_t kClientCloses = 256;
  static constexpr uint64_t kClientCloseMs = 10'000;
  std::vector<ClientClose> client_closes_;
  size_t next_client_close_ = 0;
  std::string cors_;
  SessionTable records_;  // kept sockets, by pid
  // Records asked of other shards: the request's number -> the asking session's sid.
  std::unordered_map<uint64_t, std::string> asking_;
  uint64_t next_ask_ = 1;
  simdjson::dom::parser json_;
  simdjson::dom::parser reply_json_;
  SioStats stats_;
};

}  // namespace rg::gateway
