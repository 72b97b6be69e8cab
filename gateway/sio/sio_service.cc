#include "gateway/sio/sio_service.h"

#include "core/net/connection.h"
#include "core/shard/clock.h"
#include "core/shard/shard.h"
#include "gateway/sio/eio_session.h"
#include "gateway/sio/eio_sid.h"
#include "proto/http/http_query.h"
#include "proto/sio/socketio.h"
#include "proto/ws/ws_handshake.h"

namespace rg::gateway {

namespace {

// The reference server's error codes (engine.io server.ts, Server.errors).
constexpr int kTransportUnknown = 0;
constexpr int kSessionIdUnknown = 1;
constexpr int kBadHandshakeMethod = 2;
constexpr int kBadRequest = 3;
constexpr int kUnsupportedVersion = 5;

}  // namespace

std::string SioStats::to_string() const {
  return "sio_opened=" + std::to_string(sessions_opened) +
         " sio_closed=" + std::to_string(sessions_closed) +
         " sio_upgrades=" + std::to_string(upgrades) +
         " sio_handed_off=" + std::to_string(handed_off) +
         " sio_refused=" + std::to_string(refused) + " sio_kept=" + std::to_string(kept) +
         " sio_recovered=" + std::to_string(recovered) +
         " sio_unrecovered=" + std::to_string(unrecovered);
}

SioService::SioService(RoomHub& hub, const SioConfig& config, ConnectionHandOff& hand_off) noexcept
    : hub_(hub),
      config_(config),
      hand_off_(hand_off),
      records_(hub.shard(), config.max_sessions, config.recovery_ms) {
  hub_.mailbox().subscribe(kSioSessionsTopic, &SioService::on_bus, this);
  if (!config_.cors_origin.empty()) {
    cors_ = "Access-Control-Allow-Origin: " + config_.cors_origin + "\r\n";
    if (config_.cors_origin != "*") {
      cors_ += "Access-Control-Allow-Credentials: true\r\nVary: Origin\r\n";
    }
  }
  hub_.mailbox().add_service(*this);
}

SioService::~SioService() {
  // Sessions leave their rooms while the hub is still there.
  auto sessions = std::move(sessions_);
  for (auto& [sid, session] : sessions) session->close("server stopping");
  flush_.clear();
  closed_.clear();
  if (shard_ != nullptr) records_.expire(core::monotonic_ms());
}

void SioService::respond(FrontDoor& door, int status, std::string_view content_type,
                         std::string_view body) noexcept {
  proto::ResponseHead head;
  head.status = status;
  head.content_type = content_type;
  std::string headers = cors_;
  if (status == 200) headers += "Cache-Control: no-store\r\n";
  head.headers = headers;
  door.respond(head, body);
}

void SioService::refuse(FrontDoor& door, int code, std::string_view message, int status) noexcept {
  ++stats_.refused;
  std::string body = "{\"code\":" + std::to_string(code) + ",\"message\":";
  proto::append_json_string(body, message);
  body += '}';
  respond(door, status, "application/json", body);
}

EioSession* SioService::find(std::string_view sid) noexcept {
  auto it = sessions_.find(sid);
  return it == sessions_.end() || it->second->closed() ? nullptr : it->second.get();
}

void SioService::on_request(FrontDoor& door, const proto::HttpRequest& request,
                            std::string_view body) noexcept {
  if (shard_ == nullptr) shard_ = &door.connection().shard();
  // A CORS preflight (the browser asks before a cross-origin POST with its headers).
  if (request.method == "OPTIONS" && !cors_.empty()) {
    std::string headers = cors_;
    headers += "Access-Control-Allow-Methods: GET,HEAD,PUT,PATCH,POST,DELETE\r\n";
    std::string_view asked = request.header("Access-Control-Request-Headers");
    if (!asked.empty()) {
      headers += "Access-Control-Allow-Headers: ";
      headers += asked;
      headers += "\r\n";
    }
    proto::ResponseHead head;
    head.status = 204;
    head.headers = headers;
    return door.respond(head, {});
  }
  std::string_view query = proto::split_target(request.target).query;
  std::string transport, sid;
  proto::QueryLookup found = proto::query_param(query, "transport", transport);
  if (found != proto::QueryLookup::kFound || (transport != "polling" && transport != "websocket")) {
    return refuse(door, kTransportUnknown, "Transport unknown");
  }
  bool websocket = transport == "websocket";
  switch (proto::query_param(query, "sid", sid)) {
    case proto::QueryLookup::kBad:
      return refuse(door, kBadRequest, "Bad request");
    case proto::QueryLookup::kAbsent:
      return handshake(door, request, transport);
    case proto::QueryLookup::kFound:
      break;
  }
  int home = sid_home(sid, hub_.mailbox().shards());
  if (home >= 0 && static_cast<unsigned>(home) != hub_.shard() && !door.adopted()) {
    ++stats_.handed_off;
    return door.hand_off(static_cast<unsigned>(home), &ConnectionHandOff::send, &hand_off_);
  }
  EioSession* session = home < 0 ? nullptr : find(sid);
  if (session == nullptr) {
    if (!websocket && request.method == "GET" && closed_by_client(sid)) {
      return respond(door, 200, "text/plain; charset=UTF-8", "1");
    }
    return refuse(door, kSessionIdUnknown, "Session ID unknown");
  }
  if (websocket) {
    if (session->upgraded() || proto::check_upgrade_request(request).status != 101) {
      return refuse(door, kBadRequest, "Bad request");
    }
    std::unique_ptr<WsSession> ws = door.accept_websocket(request, WsEndpoint::kEngineIo);
    session->on_probe(*ws);  // before the frames that came with the request
    return door.upgrade(std::move(ws));
  }
  // After an upgrade, polling requests are refused (while it is probed, they still serve).
  if (session->on_websocket()) return refuse(door, kBadRequest, "Bad request");
  if (request.method == "GET") return session->on_poll(door);
  if (request.method == "POST") {
    if (body.size() > config_.max_payload) {
      session->close("payload too large");
      return refuse(door, kBadRequest, "payload too large", 413);
    }
    return session->on_post(door, body);
  }
  respond(door, 500, "text/plain; charset=UTF-8", "");
}

void SioService::on_too_large(const proto::HttpRequest& request) noexcept {
  // The reference closes the session of a POST past maxPayload. Here when this shard is its
  // home; elsewhere it ends by its heartbeat (the client closes its transport on a 413).
  std::string sid;
  if (proto::query_param(proto::split_target(request.target).query, "sid", sid) ==
      proto::QueryLookup::kFound) {
    if (EioSession* session = find(sid)) session->close("payload too large");
  }
}

void SioService::handshake(FrontDoor& door, const proto::HttpRequest& request,
                           std::string_view transport) noexcept {
  if (request.method != "GET") return refuse(door, kBadHandshakeMethod, "Bad handshake method");
  std::string version;
  if (proto::query_param(proto::split_target(request.target).query, "EIO", version) !=
          proto::QueryLookup::kFound ||
      version != "4") {
    return refuse(door, kUnsupportedVersion, "Unsupported protocol version");
  }
  bool websocket = transport == "websocket";
  if (websocket && proto::check_upgrade_request(request).status != 101) {
    return refuse(door, kBadRequest, "Bad request");
  }
  if (sessions_.size() >= config_.max_sessions) {
    proto::ResponseHead head;
    head.status = 503;
    head.content_type = "text/plain; charset=UTF-8";
    head.headers = "Retry-After: 1\r\n";
    return door.respond(head, "too many sessions\n");
  }
  std::string sid = issue_sid(hub_.shard());
  auto owned = std::make_unique<EioSession>(*this, sid);
  EioSession& session = *owned;
  sessions_.emplace(std::move(sid), std::move(owned));
  ++stats_.sessions_opened;
  ++shard_->stats().of(core::Protocol::kSocketIo).opened;
  if (!websocket) return session.open_polling(door);
  std::unique_ptr<WsSession> ws = door.accept_websocket(request, WsEndpoint::kEngineIo);
  session.open_websocket(*ws);  // before the frames that came with the request
  door.upgrade(std::move(ws));
}

void SioService::keep_record(const std::string& pid, SessionRecord record) noexcept {
  ++stats_.kept;
  int home = SessionTable::home_of(pid, hub_.mailbox().shards());
  if (home < 0) return;
  uint64_t now = core::monotonic_ms();
  if (static_cast<unsigned>(home) == hub_.shard())
    return records_.keep(pid, std::move(record), now);
  // The pid names another shard (the socket was recovered here): the record goes there, so
  // the next recovery finds it where the pid says.
  auto* message =
      new SessionMessage(SessionMessage::Kind::kKeep, pid, hub_.shard(), 0, kSioSessionsTopic);
  message->record = record.serialize();
  hub_.mailbox().send(static_cast<unsigned>(home), core::kRequestLane, message);
}

void SioService::take_record(EioSession& session, const std::string& pid) noexcept {
  int home = SessionTable::home_of(pid, hub_.mailbox().shards());
  if (home < 0) return session.resume_from(std::nullopt);
  if (static_cast<unsigned>(home) == hub_.shard()) {
    return session.resume_from(records_.take(pid, core::monotonic_ms()));
  }
  uint64_t ask = next_ask_++;
  asking_.emplace(ask, session.sid());
  hub_.mailbox().send(
      static_cast<unsigned>(home), core::kRequestLane,
      new SessionMessage(SessionMessage::Kind::kTake, pid, hub_.shard(), ask, kSioSessionsTopic));
}

void SioService::on_bus(void* self, unsigned from, unsigned, core::BusMessage* bus) noexcept {
  auto& service = *static_cast<SioService*>(self);
  auto* message = static_cast<SessionMessage*>(bus);  // the topic says what it is
  uint64_t now = core::monotonic_ms();
  switch (message->kind) {
    case SessionMessage::Kind::kKeep:
      if (auto record = SessionRecord::parse(message->record)) {
        service.records_.keep(message->token, std::move(*record), now);
      }
      break;
    case SessionMessage::Kind::kTake: {
      auto* answer =
          new SessionMessage(SessionMessage::Kind::kRecord, message->token, message->origin_shard,
                             message->origin_member, kSioSessionsTopic);
      if (auto record = service.records_.take(message->token, now)) {
        answer->found = true;
        answer->record = record->serialize();
      }
      service.hub_.mailbox().send(from, core::kReplyLane, answer);
      break;
    }
    case SessionMessage::Kind::kRecord: {
      auto it = service.asking_.find(message->origin_member);
      if (it == service.asking_.end()) break;
      EioSession* session = service.find(it->second);
      service.asking_.erase(it);
      if (session == nullptr) break;  // gone meanwhile: the record is dropped with it
      std::optional<SessionRecord> record;
      if (message->found) record = SessionRecord::parse(message->record);
      session->resume_from(std::move(record));
      break;
    }
  }
  message->release();
}

void SioService::note_client_close(const std::string& sid) noexcept {
  ClientClose entry{sid, core::monotonic_ms()};
  if (client_closes_.size() < kClientCloses) {
    client_closes_.push_back(std::move(entry));
  } else {
    client_closes_[next_client_close_] = std::move(entry);
    next_client_close_ = (next_client_close_ + 1) % kClientCloses;
  }
}

bool SioService::closed_by_client(std::string_view sid) const noexcept {
  uint64_t now = core::monotonic_ms();
  for (const ClientClose& entry : client_closes_) {
    if (entry.sid == sid && now - entry.at_ms < kClientCloseMs) return true;
  }
  return false;
}

void SioService::closed(EioSession& session) noexcept {
  auto it = sessions_.find(session.sid());
  if (it == sessions_.end()) return;
  ++stats_.sessions_closed;
  ++shard_->stats().of(core::Protocol::kSocketIo).closed;
  closed_.push_back(std::move(it->second));
  sessions_.erase(it);
}

void SioService::on_tick() noexcept {
  for (size_t i = 0; i < flush_.size(); ++i) {
    if (!flush_[i]->closed()) flush_[i]->flush();
  }
  flush_.clear();
  closed_.clear();
}

}  // namespace rg::gateway
