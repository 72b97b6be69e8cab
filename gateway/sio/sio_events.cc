// An Engine.IO session's Socket.IO socket in namespace "/": CONNECT and DISCONNECT, the
// room events (join, leave, publish, presence) turned into gateway requests, and the
// hub's replies turned into acks (or, without an ack id, into events: presence notices,
// gaps). A malformed packet closes the whole session, as the reference server does.

#include <cstring>

#include "core/shard/shard.h"
#include "gateway/rooms/room_hub.h"
#include "gateway/sio/eio_session.h"
#include "gateway/sio/eio_sid.h"
#include "gateway/sio/sio_service.h"

namespace rg::gateway {

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// `text` copied into `out` with simdjson's padding after it; the view of the copy.
std::string_view padded(std::string& out, std::string_view text) {
  out.assign(text);
  out.append(simdjson::SIMDJSON_PADDING, ' ');
  return std::string_view(out).substr(0, text.size());
}

bool is_placeholder(element e, uint64_t& num) noexcept {
  bool placeholder = false;
  return e.type() == element_type::OBJECT && !e["_placeholder"].get_bool().get(placeholder) &&
         placeholder && !e["num"].get_uint64().get(num);
}

}  // namespace

void EioSession::send_sio(std::string_view packet) noexcept {
  send_packet(proto::EioType::kMessage, packet);
}

void EioSession::ack(uint64_t id, std::string_view json_args) noexcept {
  std::string packet;
  proto::append_sio_head(packet, proto::SioType::kAck, "/", 0, true, id);
  packet += json_args;
  send_sio(packet);
}

void EioSession::ack_error(uint64_t id, std::string_view code, std::string_view message) noexcept {
  std::string args = "[{\"error\":{\"code\":";
  proto::append_json_string(args, code);
  args += ",\"message\":";
  proto::append_json_string(args, message);
  args += "}}]";
  ack(id, args);
}

void EioSession::on_sio_text(std::string_view text, bool is_padded) noexcept {
  if (binary_expected_ != 0) return close("text packet while reconstructing a binary one");
  request_bytes_ = text.size();
  proto::SioPacket packet;
  std::string_view view = is_padded ? text : padded(scratch_, text);
  if (proto::SioParse result = parse_sio_packet(view, service_.json(), packet);
      result != proto::SioParse::kOk) {
    return close(proto::to_string(result));
  }
  switch (packet.type) {
    case proto::SioType::kConnect:
      return on_sio_connect(packet);
    case proto::SioType::kDisconnect:
      if (!connected_ || packet.nsp != "/") return close("DISCONNECT of a namespace not joined");
      connected_ = false;
      disconnected_ = true;
      return leave_all_rooms();
    case proto::SioType::kEvent:
      if (!connected_ || packet.nsp != "/") return close("EVENT in a namespace not joined");
      return on_sio_event(packet);
    case proto::SioType::kAck:
      return;  // the server asks for no acks: nothing to match
    case proto::SioType::kConnectError:
      return close("CONNECT_ERROR from a client");
    case proto::SioType::kBinaryEvent:
    case proto::SioType::kBinaryAck:
      if (!connected_ || packet.nsp != "/") return close("EVENT in a namespace not joined");
      if (packet.attachments == 0) {
        if (packet.type == proto::SioType::kBinaryEvent) on_sio_event(packet);
        return;
      }
      binary_packet_.assign(text);
      binary_expected_ = packet.attachments;
      attachments_.clear();
      return;
  }
}

void EioSession::on_sio_binary(std::span<const std::byte> data) noexcept {
  if (binary_expected_ == 0) return close("binary message outside a binary packet");
  attachments_.emplace_back(reinterpret_cast<const char*>(data.data()), data.size());
  if (attachments_.size() < binary_expected_) return;
  binary_expected_ = 0;
  std::string text = std::move(binary_packet_);
  request_bytes_ = text.size();
  for (const std::string& attachment : attachments_) request_bytes_ += attachment.size();
  proto::SioPacket packet;
  std::string_view view = padded(scratch_, text);
  if (parse_sio_packet(view, service_.json(), packet) != proto::SioParse::kOk) {
    return close("invalid binary packet");
  }
  if (packet.type == proto::SioType::kBinaryEvent) on_sio_event(packet);
  attachments_.clear();
}

void EioSession::on_sio_connect(const proto::SioPacket& packet) noexcept {
  if (packet.nsp != "/") {
    std::string reply;
    proto::append_sio_head(reply, proto::SioType::kConnectError, packet.nsp);
    reply += "{\"message\":\"Invalid namespace\"}";
    return send_sio(reply);
  }
  if (connected_ || recovery_ != Recovery::kNone) {
    return close("CONNECT of a namespace joined already");
  }
  // --auth required: the token in the CONNECT's auth object ({token}); refused with a
  // CONNECT_ERROR (the client does not retry by itself) and the session closed.
  RoomHub& hub = service_.hub();
  if (hub.auth_required() && claims() == nullptr) {
    std::string_view token;
    TokenCache::Verdict verdict;
    if (!packet.has_payload || packet.payload["token"].get_string().get(token) || token.empty()) {
      verdict.error = proto::JwtError::kMalformed;
    } else {
      verdict = hub.check_token(token);
    }
    if (verdict.error != proto::JwtError::kNone) {
      std::string reply;
      proto::append_sio_head(reply, proto::SioType::kConnectError, "/");
      reply += verdict.error == proto::JwtError::kExpired
                   ? "{\"message\":\"unauthorized\",\"data\":{\"code\":\"token_expired\"}}"
                   : "{\"message\":\"unauthorized\"}";
      send_sio(reply);
      return close("unauthorized");
    }
    hub.grant(*this, std::move(verdict.claims));
  }
  service_.shard().timers().cancel(connect_deadline_);
  auth_.clear();
  disconnected_ = false;
  if (packet.has_payload) {
    auth_ = simdjson::minify(packet.payload);
    // socket.io-client sends back the pid of its last connection, and the offset of the
    // last event it received (none when it received nothing).
    std::string_view pid, offset;
    if (service_.config().recovery_ms != 0 && !packet.payload["pid"].get_string().get(pid)) {
      bool has_offset = !packet.payload["offset"].get_string().get(offset);
      return start_recovery(pid, offset, has_offset);
    }
  }
  connected_ = true;
  if (service_.config().recovery_ms != 0) pid_ = service_.issue_pid();
  reply_connect(issue_sid(service_.hub().shard()));
}

void EioSession::reply_connect(std::string_view socket_id) noexcept {
  socket_id_ = std::string(socket_id);
  std::string reply = "0{\"sid\":\"" + socket_id_ + "\"";
  if (!pid_.empty()) reply += ",\"pid\":\"" + pid_ + "\"";
  reply += '}';
  send_sio(reply);
}

void EioSession::on_sio_event(const proto::SioPacket& packet) noexcept {
  simdjson::dom::array args;
  if (!packet.has_payload || packet.payload.get_array().get(args)) return;
  element first = args.at(0).value_unsafe();
  std::string_view name;
  if (first.get_string().get(name)) {  // a number names no room event
    if (packet.has_id) ack_error(packet.id, "unknown_event", "no such event");
    return;
  }
  on_room_event(name, args, packet.has_id, packet.id);
}

void EioSession::on_room_event(std::string_view name, simdjson::dom::array args, bool has_id,
                               uint64_t id) noexcept {
  RoomHub& hub = service_.hub();
  WireForm form = service_.config().recovery_ms != 0 ? WireForm::kSioOffsets : WireForm::kSio;
  size_t count = args.size();
  std::string id_text = has_id ? std::to_string(id) : std::string();
  auto fail = [&](const char* message) {
    if (has_id) ack_error(id, "bad_request", message);
  };
  if (name != "join" && name != "leave" && name != "publish" && name != "presence" &&
      name != "auth") {
    if (has_id) {
      ack_error(id, "unknown_event", "no such event (join, leave, publish, presence, auth)");
    }
    return;
  }
  if (!hub.admit(*this, form, request_bytes_, id_text)) return;
  proto::Request request;
  request.id = id_text;
  if (name == "auth") {  // auth(token): a refresh of the CONNECT's token
    request.op = proto::RequestOp::kAuth;
    if (count < 2 || args.at(1).get_string().get(request.token) || request.token.empty()) {
      return fail("auth(token)");
    }
    return hub.handle(*this, form, request);
  }
  std::string_view room;
  if (count < 2 || args.at(1).get_string().get(room)) return fail("the first argument is the room");
  request.room = room;
  std::string info, data;
  if (name == "join") {
    request.op = proto::RequestOp::kJoin;
    SioRoom* entry = nullptr;
    for (SioRoom& r : rooms_) {
      if (r.name == room) entry = &r;
    }
    if (count >= 3) {
      element opts = args.at(2).value_unsafe();
      if (opts.type() != element_type::OBJECT) return fail("join options must be an object");
      uint64_t since = 0;
      if (!opts["since"].get_uint64().get(since)) {
        request.has_since = true;
        request.since = since;
      }
      std::string_view epoch;
      if (!opts["epoch"].get_string().get(epoch)) request.epoch = epoch;
      bool presence = false;
      if (!opts["presence"].get_bool().get(presence)) request.presence = presence;
      element info_value;
      if (!opts["info"].get(info_value)) {
        if (info_value.type() != element_type::OBJECT) return fail("info must be an object");
        info = simdjson::minify(info_value);
        request.info = info;
      }
    }
    // Bounded: rooms joined, and joins not answered yet (a refused join leaves an entry
    // that the next overflow sweeps away).
    size_t limit = 2 * hub.config().max_rooms_per_member;
    if (entry == nullptr && rooms_.size() >= limit) {
      std::erase_if(rooms_, [](const SioRoom& r) { return !r.joined; });
      if (rooms_.size() >= limit) {
        if (has_id) ack_error(id, "too_many_rooms", "--max-rooms-per-conn reached");
        return;
      }
    }
    if (entry == nullptr && proto::is_valid_room_name(room)) {
      rooms_.push_back({});
      entry = &rooms_.back();
      entry->name = std::string(room);
      entry->hash = room_hash(room);
    }
    if (entry != nullptr && !entry->joined) {
      entry->info = info;
      entry->presence = request.presence;
    }
  } else if (name == "leave") {
    request.op = proto::RequestOp::kLeave;
  } else if (name == "presence") {
    request.op = proto::RequestOp::kPresence;
  } else if (name == "publish") {
    request.op = proto::RequestOp::kPub;
    std::string_view event;
    if (count < 4 || args.at(2).get_string().get(event)) {
      return fail("publish(room, event, data[, options])");
    }
    if (!proto::is_valid_event_name(event)) {
      return fail("event names are 1 to 64 printable ASCII characters, no quote or backslash");
    }
    request.event = event == "message" ? std::string_view() : event;
    element value = args.at(3).value_unsafe();
    uint64_t num = 0;
    if (is_placeholder(value, num)) {
      if (num >= attachments_.size()) return close("placeholder out of range");
      request.data = attachments_[num];
      request.data_is_json = false;
    } else {
      // Binary inside a JSON value cannot travel as the gateway's data (one JSON value or
      // bytes): only a whole binary argument can.
      if (!attachments_.empty()) return fail("binary data must be the whole data argument");
      data = simdjson::minify(value);
      request.data = data;
      request.data_is_json = true;
    }
    if (count >= 5) {
      element opts = args.at(4).value_unsafe();
      if (opts.type() != element_type::OBJECT) return fail("publish options must be an object");
      std::string_view key;
      if (!opts["key"].get_string().get(key)) {
        if (key.empty() || key.size() > proto::kMaxKeyBytes) return fail("key is 1 to 64 bytes");
        request.key = key;
      }
      std::string_view ckey;
      if (!opts["ckey"].get_string().get(ckey)) {
        if (ckey.empty() || ckey.size() > proto::kMaxKeyBytes) return fail("ckey is 1 to 64 bytes");
        request.ckey = ckey;
      }
    }
    if (request.data.size() > hub.config().max_payload) {
      if (has_id) ack_error(id, "too_large", "the data is larger than --max-payload");
      return;
    }
  }
  if (!proto::is_valid_room_name(room)) {
    return fail("room names are 1-128 letters, digits, _ . : -");
  }
  hub.handle(*this, form, request);
}

void EioSession::send_reply(WireForm, std::span<const std::byte> body) noexcept {
  // The hub answers in JSON: an ack when the request had an id, else an event named by
  // the reply's op (presence notices, gaps), with the reply's fields but "op" and "id".
  std::string_view text(reinterpret_cast<const char*>(body.data()), body.size());
  std::string copy;
  std::string_view view = padded(copy, text);
  element reply;
  simdjson::dom::object object;
  if (service_.reply_json().parse(view.data(), view.size(), false).get(reply) ||
      reply.get_object().get(object)) {
    return;
  }
  std::string_view op;
  if (object["op"].get_string().get(op)) return;
  note_reply(op, object);
  uint64_t id = 0;
  bool has_id = !object["id"].get_uint64().get(id);
  std::string fields = "{";
  for (auto [key, value] : object) {
    if (key == "op" || key == "id") continue;
    if (fields.size() > 1) fields += ',';
    proto::append_json_string(fields, key);
    fields += ':';
    fields += simdjson::minify(value);
  }
  fields += '}';
  if (has_id) {
    if (op == "error") return ack(id, "[{\"error\":" + fields + "}]");
    return ack(id, "[" + fields + "]");
  }
  if (op == "error") {
    // Errors answer requests (acks); one is told on its own: the token's expiry, as an
    // event of that name (refresh with emit("auth", token) within --token-grace).
    std::string_view code;
    if (object["code"].get_string().get(code) || code != "token_expired") return;
    op = code;
  }
  if (op == "pong" || op == "joined" || op == "left" || op == "ack") return;
  std::string packet = "2[";
  proto::append_json_string(packet, op);
  packet += ',';
  packet += fields;
  packet += ']';
  send_sio(packet);
}

void EioSession::leave_all_rooms() noexcept {
  rooms_.clear();
  if (closed_) return;
  // The hub forgets the member's rooms (without replies) and takes it back at once.
  service_.hub().detach(*this);
  service_.hub().attach(*this);
}

}  // namespace rg::gateway
