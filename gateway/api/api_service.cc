#include "gateway/api/api_service.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <sys/stat.h>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "core/shard/clock.h"
#include "gateway/api/api_call.h"
#include "gateway/metrics/process_figures.h"
#include "gateway/version.h"
#include "proto/base64.h"
#include "proto/envelope/envelope.h"
#include "proto/http/http_query.h"
#include "proto/json_string.h"

namespace rg::gateway {

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

constexpr size_t kMaxRoomsLimit = 1000;

// What crosses the mailbox for a call: a disconnect of a member of the receiving shard,
// or its busiest rooms; answered with the same message kind's reply.
struct ApiMessage final : core::BusMessage {
  enum class Kind : uint8_t { kDisconnect, kDisconnected, kRoomsQuery, kRooms };
  ApiMessage(Kind k, uint64_t c) noexcept : BusMessage(kApiTopic), kind(k), call(c) {}
  Kind kind;
  uint64_t call;  // the asking call's number (on the asking shard)
  uint64_t member = 0;
  bool found = false;
  size_t limit = 0;
  std::vector<OwnedRooms::RoomFigures> rooms;
};

// "S.N": a member's name (owner.h's member_name); false when it is not one.
bool parse_member(std::string_view name, unsigned& shard, uint64_t& member) noexcept {
  size_t dot = name.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == name.size()) return false;
  const char* end = name.data() + name.size();
  auto [p1, e1] = std::from_chars(name.data(), name.data() + dot, shard);
  auto [p2, e2] = std::from_chars(name.data() + dot + 1, end, member);
  return e1 == std::errc() && p1 == name.data() + dot && e2 == std::errc() && p2 == end;
}

}  // namespace

std::string read_api_key(const std::string& path, std::string& warning) {
  std::ifstream in(path);
  std::string key;
  if (!in || !std::getline(in, key)) {
    throw std::runtime_error("cannot read the API key from " + path);
  }
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!key.empty() && blank(key.back())) key.pop_back();
  size_t first = 0;
  while (first < key.size() && blank(key[first])) ++first;
  key.erase(0, first);
  if (key.empty()) throw std::runtime_error("the API key file " + path + " is empty");
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    warning = path + " is readable by other users (chmod 600 it)";
  }
  return key;
}

ApiService::ApiService(RoomHub& hub, const ApiConfig& config,
                       const MetricsSources& sources) noexcept
    : hub_(hub), config_(config), sources_(sources), started_ms_(core::monotonic_ms()) {
  hub_.mailbox().subscribe(kApiTopic, &ApiService::on_bus, this);
  hub_.mailbox().add_service(*this);
}

ApiService::~ApiService() = default;

void ApiService::respond_error(FrontDoor& door, int status, std::string_view code,
                               std::string_view message) noexcept {
  std::string body = "{\"error\":{\"code\":";
  proto::append_json_string(body, code);
  body += ",\"message\":";
  proto::append_json_string(body, message);
  body += "}}\n";
  proto::ResponseHead head;
  head.status = status;
  head.content_type = "application/json";
  head.headers = status == 503 ? "Cache-Control: no-store\r\nRetry-After: 1\r\n"
                               : "Cache-Control: no-store\r\n";
  door.respond(head, body);
}

void ApiService::respond_result(FrontDoor& door, std::string_view result_json) noexcept {
  std::string body = "{\"result\":";
  body += result_json;
  body += "}\n";
  proto::ResponseHead head;
  head.content_type = "application/json";
  head.headers = "Cache-Control: no-store\r\n";
  door.respond(head, body);
}

bool ApiService::key_matches(std::string_view given) const noexcept {
  // Digests of both, compared in constant time: neither the key's bytes nor its length
  // show in the time a wrong guess takes.
  unsigned char a[SHA256_DIGEST_LENGTH], b[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(given.data()), given.size(), a);
  SHA256(reinterpret_cast<const unsigned char*>(config_.key.data()), config_.key.size(), b);
  return CRYPTO_memcmp(a, b, sizeof a) == 0;
}

void ApiService::on_request(FrontDoor& door, const proto::HttpRequest& request,
                            std::string_view body) noexcept {
  if (config_.key.empty()) {
    return respond_error(door, 404, "api_off", "the server API is off (--api-key-file)");
  }
  if (request.method != "POST") {
    return respond_error(door, 405, "method_not_allowed", "the server API takes POST");
  }
  if (!key_matches(request.header("X-API-Key"))) {
    return respond_error(door, 401, "unauthorized", "a valid X-API-Key header is required");
  }
  std::string_view path = proto::split_target(request.target).path;
  std::string_view method = path.substr(std::string_view("/api/").size());
  element root;
  object args;
  std::string_view text = body.empty() ? std::string_view("{}") : body;
  if (json_.parse(text.data(), text.size(), true).get(root)) {
    return respond_error(door, 400, "bad_json", "the body is not JSON");
  }
  if (root.get_object().get(args)) {
    return respond_error(door, 400, "bad_request", "the body must be a JSON object");
  }
  dispatch(door, method, args);
}

void ApiService::dispatch(FrontDoor& door, std::string_view method, object args) noexcept {
  if (method == "publish") return publish(door, args);
  if (method == "history") return history(door, args);
  if (method == "presence") return presence(door, args);
  if (method == "disconnect") return disconnect(door, args);
  if (method == "info") return info(door);
  if (method == "rooms") return rooms(door, args);
  respond_error(door, 404, "not_found",
                "no such method (publish, history, presence, disconnect, info, rooms)");
}

ApiCall* ApiService::start_call(FrontDoor& door) noexcept {
  if (calls_.size() >= config_.max_calls) {
    respond_error(door, 503, "busy", "too many API requests waiting: try again");
    return nullptr;
  }
  uint64_t number = next_call_++;
  auto call = std::make_unique<ApiCall>(*this, door, number);
  ApiCall* raw = call.get();
  calls_.emplace(number, std::move(call));
  return raw;
}

void ApiService::finished(ApiCall& call) noexcept {
  auto it = calls_.find(call.number());
  if (it == calls_.end()) return;
  finished_.push_back(std::move(it->second));
  calls_.erase(it);
}

void ApiService::on_tick() noexcept {
  finished_.clear();
}

namespace {

// The room argument; answers 400 and returns false when it is missing or not a room name.
bool room_of(FrontDoor& door, object args, std::string_view& room) noexcept {
  if (args["room"].get_string().get(room)) {
    ApiService::respond_error(door, 400, "bad_request", "room (a string) is required");
    return false;
  }
  if (!proto::is_valid_room_name(room)) {
    ApiService::respond_error(door, 400, "bad_room",
                              "room names are 1-128 letters, digits, _ . : -");
    return false;
  }
  return true;
}

}  // namespace

void ApiService::publish(FrontDoor& door, object args) noexcept {
  proto::Request request;
  request.op = proto::RequestOp::kPub;
  request.id = "1";
  if (!room_of(door, args, request.room)) return;
  element data;
  std::string_view b64;
  std::string minified;
  std::string decoded;
  if (!args["data"].get(data)) {
    minified = simdjson::minify(data);
    request.data = minified;
    request.data_is_json = true;
  } else if (!args["b64data"].get_string().get(b64)) {
    if (!proto::decode_base64(b64, decoded)) {
      return respond_error(door, 400, "bad_request", "b64data is not base64");
    }
    request.data = decoded;
  } else {
    return respond_error(door, 400, "bad_request", "data (any JSON value) or b64data is required");
  }
  std::string_view event, key, ckey;
  if (!args["event"].get_string().get(event)) {
    if (!proto::is_valid_event_name(event)) {
      return respond_error(door, 400, "bad_request",
                           "event names are 1-64 printable ASCII characters, no quote or "
                           "backslash");
    }
    request.event = event == "message" ? std::string_view() : event;
  }
  if (!args["key"].get_string().get(key)) {
    if (key.empty() || key.size() > proto::kMaxKeyBytes) {
      return respond_error(door, 400, "bad_request", "key is 1 to 64 bytes");
    }
    request.key = key;
  }
  if (!args["ckey"].get_string().get(ckey)) {
    if (ckey.empty() || ckey.size() > proto::kMaxKeyBytes) {
      return respond_error(door, 400, "bad_request", "ckey is 1 to 64 bytes");
    }
    request.ckey = ckey;
  }
  if (request.data.size() > hub_.config().max_payload) {
    return respond_error(door, 413, "too_large", "data is larger than --max-payload");
  }
  // Back-pressure as for any publisher: a backed-up bus is not fed more.
  if (hub_.congested()) return respond_error(door, 503, "busy", "the gateway is congested");
  ApiCall* call = start_call(door);
  if (call == nullptr) return;
  call->expect(ApiCall::Kind::kPublish);
  hub_.handle(*call, WireForm::kWsJson, request);
  call->wait();
}

void ApiService::history(FrontDoor& door, object args) noexcept {
  std::string_view room;
  if (!room_of(door, args, room)) return;
  uint64_t since = 0, limit = 100;
  bool has_since = false;
  element value;
  if (!args["since"].get(value)) {
    if (value.get_uint64().get(since)) {
      return respond_error(door, 400, "bad_request", "since is a seq (a whole number)");
    }
    has_since = true;
  }
  if (!args["limit"].get(value)) {
    if (value.get_uint64().get(limit) || limit == 0 || limit > config_.max_history) {
      return respond_error(door, 400, "bad_request",
                           "limit is 1 to " + std::to_string(config_.max_history));
    }
  }
  ApiCall* call = start_call(door);
  if (call == nullptr) return;
  call->expect(ApiCall::Kind::kHistory);
  hub_.history(*call, room, has_since, since, static_cast<uint32_t>(limit));
  call->wait();
}

void ApiService::presence(FrontDoor& door, object args) noexcept {
  proto::Request request;
  request.op = proto::RequestOp::kPresence;
  request.id = "1";
  if (!room_of(door, args, request.room)) return;
  ApiCall* call = start_call(door);
  if (call == nullptr) return;
  call->expect(ApiCall::Kind::kPresence);
  hub_.handle(*call, WireForm::kWsJson, request);
  call->wait();
}

void ApiService::disconnect(FrontDoor& door, object args) noexcept {
  std::string_view name;
  unsigned shard = 0;
  uint64_t member = 0;
  if (args["member"].get_string().get(name) || !parse_member(name, shard, member)) {
    return respond_error(door, 400, "bad_request",
                         "member is a member's name, as joined and presence tell it (\"2.17\")");
  }
  if (shard >= hub_.mailbox().shards()) {
    return respond_error(door, 404, "not_found", "no such member");
  }
  ApiCall* call = start_call(door);
  if (call == nullptr) return;
  call->expect(ApiCall::Kind::kDisconnect);
  if (shard == hub_.shard()) {
    call->on_disconnected(hub_.disconnect(member));
  } else {
    auto* message = new ApiMessage(ApiMessage::Kind::kDisconnect, call->number());
    message->member = member;
    hub_.mailbox().send(shard, core::kRequestLane, message);
  }
  call->wait();
}

void ApiService::rooms(FrontDoor& door, object args) noexcept {
  uint64_t limit = 20;
  element value;
  if (!args["limit"].get(value)) {
    if (value.get_uint64().get(limit) || limit == 0 || limit > kMaxRoomsLimit) {
      return respond_error(door, 400, "bad_request",
                           "limit is 1 to " + std::to_string(kMaxRoomsLimit));
    }
  }
  busiest_rooms(door, limit);
}

void ApiService::busiest_rooms(FrontDoor& door, size_t limit) noexcept {
  ApiCall* call = start_call(door);
  if (call == nullptr) return;
  unsigned shards = hub_.mailbox().shards();
  call->expect_rooms(shards, limit);
  for (unsigned shard = 0; shard < shards; ++shard) {
    if (shard == hub_.shard()) continue;
    auto* message = new ApiMessage(ApiMessage::Kind::kRoomsQuery, call->number());
    message->limit = limit;
    hub_.mailbox().send(shard, core::kRequestLane, message);
  }
  std::vector<OwnedRooms::RoomFigures> own;
  hub_.owned().busiest(limit, own);
  call->on_rooms(std::move(own));
  call->wait();
}

void ApiService::info(FrontDoor& door) noexcept {
  MetricsSnapshot s = take_snapshot(sources_);
  ProcessFigures process = read_process_figures();
  std::string r = "{\"version\":";
  proto::append_json_string(r, kVersion);
  r += ",\"uptime_s\":" + std::to_string((core::monotonic_ms() - started_ms_) / 1000);
  r += ",\"connections\":{";
  for (size_t p = 0; p < core::kProtocols; ++p) {
    if (p > 0) r += ',';
    proto::append_json_string(r, transport_label(static_cast<core::Protocol>(p)));
    r += ':' + std::to_string(s.active(static_cast<core::Protocol>(p)));
  }
  r += "},\"rooms_active\":" + std::to_string(s.rooms_active);
  r += ",\"members_active\":" + std::to_string(s.members_active);
  r += ",\"publishes\":" + std::to_string(s.publishes);
  r += ",\"deliveries\":" + std::to_string(s.deliveries);
  r += ",\"received_bytes\":" + std::to_string(s.rx_bytes);
  r += ",\"sent_bytes\":" + std::to_string(s.tx_bytes);
  r += ",\"resident_bytes\":" + std::to_string(process.resident_bytes);
  r += ",\"cpu_seconds\":" + std::to_string(process.cpu_seconds);
  r += ",\"shards\":[";
  for (size_t i = 0; i < s.shards.size(); ++i) {
    const ShardFigures& f = s.shards[i];
    if (i > 0) r += ',';
    r += "{\"shard\":" + std::to_string(i) + ",\"connections\":" + std::to_string(f.connections) +
         ",\"messages_in\":" + std::to_string(f.messages_in) +
         ",\"messages_out\":" + std::to_string(f.messages_out) +
         ",\"busy_seconds\":" + std::to_string(static_cast<double>(f.busy_ns) / 1e9) + '}';
  }
  r += "]}";
  respond_result(door, r);
}

void ApiService::on_bus(void* self, unsigned from, unsigned, core::BusMessage* bus) noexcept {
  auto& service = *static_cast<ApiService*>(self);
  auto* message = static_cast<ApiMessage*>(bus);  // the topic says what it is
  switch (message->kind) {
    case ApiMessage::Kind::kDisconnect: {
      auto* answer = new ApiMessage(ApiMessage::Kind::kDisconnected, message->call);
      answer->found = service.hub_.disconnect(message->member);
      service.hub_.mailbox().send(from, core::kReplyLane, answer);
      break;
    }
    case ApiMessage::Kind::kRoomsQuery: {
      auto* answer = new ApiMessage(ApiMessage::Kind::kRooms, message->call);
      service.hub_.owned().busiest(message->limit, answer->rooms);
      service.hub_.mailbox().send(from, core::kReplyLane, answer);
      break;
    }
    case ApiMessage::Kind::kDisconnected:
    case ApiMessage::Kind::kRooms: {
      auto it = service.calls_.find(message->call);
      if (it == service.calls_.end()) break;  // answered (timed out) meanwhile
      if (message->kind == ApiMessage::Kind::kDisconnected) {
        it->second->on_disconnected(message->found);
      } else {
        it->second->on_rooms(std::move(message->rooms));
      }
      break;
    }
  }
  message->release();
}

}  // namespace rg::gateway
