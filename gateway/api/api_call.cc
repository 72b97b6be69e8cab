#include "gateway/api/api_call.h"

#include <simdjson.h>

#include <algorithm>

#include "core/net/connection.h"
#include "core/shard/shard.h"
#include "gateway/api/api_service.h"
#include "proto/base64.h"
#include "proto/json_string.h"

namespace rg::gateway {

namespace {

// The HTTP status of a hub error, by its JSON code.
int status_of(std::string_view code) noexcept {
  if (code == "too_large") return 413;
  if (code == "busy" || code == "unavailable" || code == "draining") return 503;
  return 400;
}

}  // namespace

ApiCall::ApiCall(ApiService& service, FrontDoor& door, uint64_t number) noexcept
    : service_(service), door_(&door), number_(number), timeout_(&ApiCall::on_timeout, this) {
  set_trusted();  // the server's own: no token, no room refused
}

void ApiCall::wait() noexcept {
  if (door_ == nullptr) return;  // answered at once (a refusal)
  door_->hold(*this);
  core::Shard& shard = door_->connection().shard();
  shard.timers().schedule(timeout_, shard.now_ms() + service_.config().timeout_ms);
}

ApiCall::~ApiCall() {
  if (attached_) service_.hub().detach(*this);
}  // (the timer cancels itself)

void ApiCall::expect(Kind kind) noexcept {
  kind_ = kind;
  if (kind == Kind::kPublish || kind == Kind::kHistory || kind == Kind::kPresence) {
    service_.hub().attach(*this);
    attached_ = true;
  }
}

void ApiCall::expect_rooms(unsigned shards, size_t limit) noexcept {
  kind_ = Kind::kRooms;
  shards_waited_ = shards;
  rooms_limit_ = limit;
}

void ApiCall::answer_result(std::string_view result_json) noexcept {
  if (door_ == nullptr) return;
  ApiService::respond_result(*std::exchange(door_, nullptr), result_json);
  done();
}

void ApiCall::answer_error(int status, std::string_view code, std::string_view message) noexcept {
  if (door_ == nullptr) return;
  ApiService::respond_error(*std::exchange(door_, nullptr), status, code, message);
  done();
}

void ApiCall::done() noexcept {
  if (timeout_.armed()) service_.hub().mailbox().shard()->timers().cancel(timeout_);
  service_.finished(*this);
}

void ApiCall::on_timeout(void* self) noexcept {
  static_cast<ApiCall*>(self)->answer_error(503, "timeout", "no answer in time: try again");
}

void ApiCall::on_front_door_gone(FrontDoor&) noexcept {
  // The client went (or the server stops): nothing to answer.
  if (door_ == nullptr) return;
  door_ = nullptr;
  done();
}

void ApiCall::send_reply(WireForm, std::span<const std::byte> body) noexcept {
  if (door_ == nullptr) return;
  // The hub answers in JSON (the call's requests are in the JSON form).
  simdjson::dom::element reply;
  simdjson::dom::object object;
  std::string_view op;
  if (service_.reply_json()
          .parse(reinterpret_cast<const char*>(body.data()), body.size(), true)
          .get(reply) ||
      reply.get_object().get(object) || object["op"].get_string().get(op)) {
    return answer_error(500, "internal", "unreadable answer");
  }
  if (op == "error") {
    std::string_view code = "error", message;
    if (object["code"].get_string().get(code)) code = "error";
    if (object["message"].get_string().get(message)) message = {};
    return answer_error(status_of(code), code, message);
  }
  bool expected =
      (kind_ == Kind::kPublish && op == "ack") || (kind_ == Kind::kPresence && op == "presence");
  if (!expected) return;  // (a notice, say: not an answer)
  // The reply's fields but "op" and "id" (and the room, which the caller named).
  std::string result = "{";
  for (auto [key, value] : object) {
    if (key == "op" || key == "id" || key == "room") continue;
    if (result.size() > 1) result += ',';
    proto::append_json_string(result, key);
    result += ':';
    result += simdjson::minify(value);
  }
  result += '}';
  answer_result(result);
}

void ApiCall::on_history(const RoomMessage& history) noexcept {
  if (door_ == nullptr || kind_ != Kind::kHistory) return;
  std::string result = "{\"seq\":" + std::to_string(history.seq()) + ",\"epoch\":";
  proto::append_json_string(result, history.epoch());
  result += ",\"messages\":[";
  for (size_t i = 0; i < history.replayed(); ++i) {
    const RoomMessage& message = *history.replayed(i);
    if (i > 0) result += ',';
    result += "{\"seq\":" + std::to_string(message.seq());
    if (!message.event().empty()) {
      result += ",\"event\":";
      proto::append_json_string(result, message.event());
    }
    std::string_view data = message.data();
    if (message.data_is_json()) {
      result += ",\"data\":";
      result += data;
    } else {
      result += ",\"bin\":true,\"data\":\"";
      proto::append_base64(result, std::as_bytes(std::span(data.data(), data.size())));
      result += '"';
    }
    result += '}';
  }
  result += "]}";
  answer_result(result);
}

void ApiCall::on_disconnected(bool found) noexcept {
  if (found) return answer_result("{}");
  answer_error(404, "not_found", "no such member");
}

void ApiCall::on_rooms(std::vector<OwnedRooms::RoomFigures>&& rooms) noexcept {
  for (auto& room : rooms) rooms_.push_back(std::move(room));
  if (shards_waited_ > 0 && --shards_waited_ > 0) return;
  std::sort(rooms_.begin(), rooms_.end(), [](const auto& a, const auto& b) {
    return a.publishes_per_s != b.publishes_per_s ? a.publishes_per_s > b.publishes_per_s
                                                  : a.members > b.members;
  });
  if (rooms_.size() > rooms_limit_) rooms_.resize(rooms_limit_);
  std::string result = "{\"rooms\":[";
  for (size_t i = 0; i < rooms_.size(); ++i) {
    const auto& room = rooms_[i];
    if (i > 0) result += ',';
    result += "{\"room\":";
    proto::append_json_string(result, room.room);
    result += ",\"members\":" + std::to_string(room.members) +
              ",\"publishes_per_s\":" + std::to_string(room.publishes_per_s) +
              ",\"seq\":" + std::to_string(room.seq) +
              ",\"history\":" + std::to_string(room.history) + '}';
  }
  result += "]}";
  answer_result(result);
}

}  // namespace rg::gateway
