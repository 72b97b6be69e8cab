#pragma once
// The server API (JSON over HTTP POST on the admin listener, `X-API-Key` from
// --api-key-file; off without a key): a backend publishes to rooms, reads their history
// and presence, disconnects a member, reads the gateway's figures and its busiest rooms.
//
//   POST /api/publish    {room, data | b64data, event?, key?}  -> {"result":{"seq","epoch"}}
//   POST /api/history    {room, since?, limit?}      -> {"result":{"seq","epoch","messages"}}
//   POST /api/presence   {room}                      -> {"result":{"count","members"}}
//   POST /api/disconnect {member}                    -> {"result":{}}
//   POST /api/info       {}                          -> per-shard figures
//   POST /api/rooms      {limit?}                    -> the busiest rooms
// Errors: {"error":{"code":...,"message":...}} with 400, 401, 404, 405, 413 or 503.
//
// One instance per shard. The admin listener lives on shard 0, whose instance takes the
// requests: publishes, history and presence go through its RoomHub as any member's
// would (an ApiCall is a member for the length of a request), so they keep the rooms'
// order and back-pressure (503 while the bus toward the owners is congested). Disconnects
// and the busiest rooms ask the other shards' instances over the mailbox (kApiTopic).

#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/bus/mailbox.h"
#include "gateway/http/front_door.h"
#include "gateway/metrics/metrics_snapshot.h"
#include "gateway/rooms/room_hub.h"

namespace rg::gateway {

class ApiCall;

struct ApiConfig {
  std::string key;             // empty: the API is off
  size_t max_calls = 1024;     // requests waiting for an answer at once (past it: 503)
  uint32_t timeout_ms = 5000;  // an answer not come by then: 503
  uint32_t max_history = 1000;
};

// The key in `path` (its first line, white space trimmed). Start-up only: throws
// std::runtime_error naming the problem (unreadable, empty); `warning` says what is
// wrong but not fatal (the file is readable by others).
std::string read_api_key(const std::string& path, std::string& warning);

// The server API's topic on the shards' mailboxes.
inline constexpr uint8_t kApiTopic = 5;

class ApiService final : public core::ShardMailbox::Service {
 public:
  // `sources`: the figures /api/info reads (complete before the shards start).
  ApiService(RoomHub& hub, const ApiConfig& config, const MetricsSources& sources) noexcept;
  ~ApiService() override;
  ApiService(const ApiService&) = delete;
  ApiService& operator=(const ApiService&) = delete;

  // A request whose path starts with /api/ (on the admin listener's shard).
  void on_request(FrontDoor& door, const proto::HttpRequest& request,
                  std::string_view body) noexcept;

  // core::ShardMailbox::Service
  void on_tick() noexcept override;
  bool idle() const noexcept override { return finished_.empty(); }

  RoomHub& hub() noexcept { return hub_; }
  // For the calls' answers from the hub (which may come while a request is parsed).
  simdjson::dom::parser& reply_json() noexcept { return reply_json_; }
  const ApiConfig& config() const noexcept { return config_; }
  // An ApiCall has answered: it is destroyed at the end of the tick.
  void finished(ApiCall& call) noexcept;

  // The dashboard's busiest rooms (the admin listener's own page: no key), as /api/rooms.
  void busiest_rooms(FrontDoor& door, size_t limit) noexcept;

  // Writes an error answer.
  static void respond_error(FrontDoor& door, int status, std::string_view code,
                            std::string_view message) noexcept;
  static void respond_result(FrontDoor& door, std::string_view result_json) noexcept;

 private:
  void dispatch(FrontDoor& door, std::string_view method, simdjson::dom::object args) noexcept;
  void publish(FrontDoor& door, simdjson::dom::object args) noexcept;
  void history(FrontDoor& door, simdjson::dom::object args) noexcept;
  void presence(FrontDoor& door, simdjson::dom::object args) noexcept;
  void disconnect(FrontDoor& door, simdjson::dom::object args) noexcept;
  void info(FrontDoor& door) noexcept;
  void rooms(FrontDoor& door, simdjson::dom::object args) noexcept;
  // A call waiting for an answer (null when too many wait: answered 503 already).
  ApiCall* start_call(FrontDoor& door) noexcept;
  bool key_matches(std::string_view given) const noexcept;
  static void on_bus(void* self, unsigned from, unsigned lane, core::BusMessage* message) noexcept;

  RoomHub& hub_;
  ApiConfig config_;
  const MetricsSources& sources_;
  uint64_t started_ms_ = 0;
  std::unordered_map<uint64_t, std::unique_ptr<ApiCall>> calls_;  // by call number
  std::vector<std::unique_ptr<ApiCall>> finished_;
  uint64_t next_call_ = 1;
  simdjson::dom::parser json_;
  simdjson::dom::parser reply_json_;
};

}  // namespace rg::gateway
