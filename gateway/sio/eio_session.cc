// An Engine.IO session's transports: long-polling, the WebSocket and the upgrade between
// them, heartbeats, and room messages handed to whichever carries the session now.

#include "gateway/sio/eio_session.h"

#include <cstring>

#include "core/shard/shard.h"
#include "gateway/sio/eio_sid.h"
#include "gateway/sio/sio_service.h"
#include "proto/envelope/json_envelope.h"
#include "proto/ws/ws_frame.h"

namespace rg::gateway {

namespace {

constexpr char kSeparator = '\x1e';

}  // namespace

EioSession::EioSession(SioService& service, std::string sid) noexcept
    : service_(service),
      sid_(std::move(sid)),
      heartbeat_(&on_heartbeat, this),
      connect_deadline_(&on_connect_deadline, this),
      upgrade_deadline_(&on_upgrade_deadline, this) {
  service_.hub().attach(*this);  // a member of rooms until close()
  core::Shard& shard = service_.shard();
  shard.timers().schedule(connect_deadline_, shard.now_ms() + service_.config().connect_timeout_ms);
  schedule_ping(service_.config().ping_interval_ms);
}

EioSession::~EioSession() {
  close("destroyed");
}  // (the timers cancel themselves)

std::string EioSession::open_json(bool upgrade_to_websocket) const {
  proto::EioOpen open;
  open.sid = sid_;
  open.upgrade_to_websocket = upgrade_to_websocket;
  open.ping_interval_ms = service_.config().ping_interval_ms;
  open.ping_timeout_ms = service_.config().ping_timeout_ms;
  open.max_payload = service_.config().max_payload;
  return proto::eio_open_json(open);
}

void EioSession::open_polling(FrontDoor& door) noexcept {
  service_.respond(door, 200, "text/plain; charset=UTF-8", "0" + open_json(true));
}

void EioSession::open_websocket(WsSession& ws) noexcept {
  ws_ = &ws;
  ws.set_sink(this);
  send_packet(proto::EioType::kOpen, open_json(false));
}

void EioSession::on_poll(FrontDoor& door) noexcept {
  if (poll_ != nullptr) {
    // Two GETs at once: the reference closes the session, answering the first with a close.
    service_.refuse(door, 3, "Bad request");
    close("overlapping GET");
    return;
  }
  if (!waiting_.empty()) {
    std::string body = std::move(waiting_);
    waiting_.clear();
    return service_.respond(door, 200, "text/plain; charset=UTF-8", body);
  }
  // While a probe is answered, the client is pausing its polling: a GET it sent before
  // it heard "3probe" is released at once, or the upgrade would wait for a ping.
  if (probe_answered_) return service_.respond(door, 200, "text/plain; charset=UTF-8", "6");
  poll_ = &door;
  door.hold(*this);
}

void EioSession::on_post(FrontDoor& door, std::string_view body) noexcept {
  // (A POST is served whole, once its body has arrived: two cannot overlap here.)
  bool ok = proto::for_each_eio_packet(body, scratch_, &EioSession::on_polled_packet, this);
  if (!ok) {
    service_.refuse(door, 3, "Bad request");
    return close("parse error");
  }
  service_.respond(door, 200, "text/html", "ok");
}

void EioSession::on_polled_packet(void* self, const proto::EioPacket& packet) noexcept {
  auto& session = *static_cast<EioSession*>(self);
  if (session.closed_) return;
  // (Over a WebSocket, the WsSession counts the packets.)
  ++session.service_.shard().stats().of(core::Protocol::kSocketIo).messages_in;
  session.on_packet(packet, false);  // views into the body: unpadded
}

void EioSession::on_packet(const proto::EioPacket& packet, bool padded) noexcept {
  if (packet.binary) {
    return on_sio_binary(std::as_bytes(std::span(packet.data.data(), packet.data.size())));
  }
  switch (packet.type) {
    case proto::EioType::kPong:
      if (pong_due_) {
        pong_due_ = false;
        schedule_ping(service_.config().ping_interval_ms);
      }
      return;
    case proto::EioType::kMessage:
      return on_sio_text(packet.data, padded);
    case proto::EioType::kClose:
      if (ws_ == nullptr) service_.note_client_close(sid_);
      return close("client close");
    case proto::EioType::kNoop:
    case proto::EioType::kUpgrade:  // only meaningful on a probe
      return;
    case proto::EioType::kPing:  // v4: the server pings, never the client
    case proto::EioType::kOpen:
      return close("invalid heartbeat direction");
  }
}

void EioSession::on_probe(WsSession& ws) noexcept {
  probe_ = &ws;
  ws.set_sink(this);
  core::Shard& shard = service_.shard();
  shard.timers().schedule(upgrade_deadline_, shard.now_ms() + service_.config().upgrade_timeout_ms);
}

void EioSession::end_probe() noexcept {
  probe_answered_ = false;
  if (upgrade_deadline_.armed()) service_.shard().timers().cancel(upgrade_deadline_);
  if (WsSession* ws = std::exchange(probe_, nullptr)) {
    ws->set_sink(nullptr);
    ws->close(1008, "invalid probe");
  }
}

void EioSession::on_upgrade_deadline(void* self) noexcept {
  // No "5" in time: the probe is closed, the session stays on polling (as the reference).
  static_cast<EioSession*>(self)->end_probe();
}

void EioSession::on_ws_message(WsSession& ws, proto::WsOpcode op,
                               std::span<std::byte> payload) noexcept {
  if (closed_) return;
  std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());
  if (&ws == probe_) {
    // The probe: "2probe" is answered "3probe" and a held GET released with a noop; "5"
    // makes the WebSocket the session's transport. Anything else ends the probe.
    if (op == proto::WsOpcode::kText && text == "2probe") {
      constexpr std::string_view kProbe = "3probe";
      ws.send_message(proto::WsOpcode::kText, std::as_bytes(std::span(kProbe)));
      probe_answered_ = true;
      if (poll_ != nullptr) answer_poll("6");
      return;
    }
    if (op == proto::WsOpcode::kText && text == "5") {
      probe_ = nullptr;
      probe_answered_ = false;
      if (upgrade_deadline_.armed()) service_.shard().timers().cancel(upgrade_deadline_);
      ws_ = &ws;
      service_.count_upgrade();
      if (poll_ != nullptr) answer_poll("6");
      // What waited for a GET goes on the WebSocket, one packet per frame, in order.
      std::string waiting = std::move(waiting_);
      waiting_.clear();
      std::string_view rest = waiting;
      while (!rest.empty()) {
        size_t end = rest.find(kSeparator);
        std::string_view packet = rest.substr(0, end);
        if (!packet.empty() && packet[0] == 'b') {
          scratch_.clear();
          if (proto::decode_base64(packet.substr(1), scratch_)) {
            ws.send_message(proto::WsOpcode::kBinary, std::as_bytes(std::span(scratch_)));
          }
        } else {
          ws.send_message(proto::WsOpcode::kText, std::as_bytes(std::span(packet)));
        }
        if (end == std::string_view::npos) break;
        rest.remove_prefix(end + 1);
      }
      return;
    }
    return end_probe();
  }
  if (&ws != ws_) return;
  if (op == proto::WsOpcode::kBinary) return on_sio_binary(payload);
  proto::EioPacket packet;
  if (!proto::parse_eio_text(text, packet)) return close("parse error");
  // A WebSocket message lies in a block with readable padding after it (ws_parser.h).
  static_assert(proto::kJsonPadding >= simdjson::SIMDJSON_PADDING);
  on_packet(packet, true);
}

void EioSession::on_ws_gone(WsSession& ws) noexcept {
  if (&ws == probe_) {
    probe_ = nullptr;         // (its sink is being released: nothing more to send on it)
    probe_answered_ = false;  // the session stays on polling
    if (upgrade_deadline_.armed()) service_.shard().timers().cancel(upgrade_deadline_);
    return;
  }
  if (&ws == ws_) {
    ws_ = nullptr;
    close("transport close");
  }
}

void EioSession::on_front_door_gone(FrontDoor& door) noexcept {
  if (&door != poll_) return;
  poll_ = nullptr;
  // A GET aborted by its client ends the session, as the reference has it.
  close("poll connection closed prematurely");
}

void EioSession::send_packet(proto::EioType type, std::string_view data) noexcept {
  if (closed_) return;
  if (ws_ != nullptr) {
    out_.clear();
    out_ += static_cast<char>('0' + static_cast<int>(type));
    out_ += data;
    ws_->send_message(proto::WsOpcode::kText, std::as_bytes(std::span(out_)));
    return;
  }
  out_.clear();
  proto::append_eio_text(out_, type, data);
  queue_for_poll(out_);
}

void EioSession::queue_for_poll(std::string_view packet_text) noexcept {
  // Bounded like any member's output: a client that POSTs requests and never GETs the
  // answers (or cannot keep up with its rooms) is cut off.
  if (waiting_.size() + packet_text.size() > service_.config().max_outbuf) {
    return close("slow consumer");
  }
  if (!waiting_.empty()) waiting_ += kSeparator;
  waiting_ += packet_text;
  ++service_.shard().stats().of(core::Protocol::kSocketIo).messages_out;
  if (poll_ != nullptr) list_for_flush();
}

void EioSession::list_for_flush() noexcept {
  if (flush_listed_) return;
  flush_listed_ = true;
  service_.flush_later(*this);
}

void EioSession::flush() noexcept {
  flush_listed_ = false;
  if (finish_due_ && recovery_ == Recovery::kJoining) finish_recovery(all_recovered_);
  if (poll_ == nullptr || waiting_.empty()) return;
  std::string body = std::move(waiting_);
  waiting_.clear();
  answer_poll(body);
}

void EioSession::answer_poll(std::string_view body) noexcept {
  FrontDoor* door = std::exchange(poll_, nullptr);
  service_.respond(*door, 200, "text/plain; charset=UTF-8", body);
}

size_t EioSession::queued_bytes() const noexcept {
  // While recovering, what is held back is bounded by finish_recovery's check, not by
  // pacing (the replay must reach its end before anything is sent).
  if (recovery_ != Recovery::kNone) return 0;
  return ws_ != nullptr ? ws_->backlog_bytes() : waiting_.size();
}

bool EioSession::send_encoded(const core::BlockRef& block, size_t offset, size_t length) noexcept {
  if (closed_ || (!connected_ && recovery_ == Recovery::kNone)) return false;
  if (service_.config().recovery_ms != 0) {
    proto::ServerHeader frame = proto::decode_server_header(block->data() + offset);
    note_delivery(block->data() + offset + frame.header, frame.payload);
  }
  if (recovery_ != Recovery::kNone) {
    held_bytes_ += length;
    if (held_bytes_ > service_.config().max_outbuf) {
      all_recovered_ = false;  // too much to replay at once: a fresh socket
      joins_waiting_ = 0;
      maybe_finish_recovery();
      return false;
    }
    held_.push_back({block, offset, length});
    maybe_finish_recovery();
    return true;
  }
  send_now(block, offset, length);
  return true;
}

void EioSession::send_now(const core::BlockRef& block, size_t offset, size_t length) noexcept {
  if (ws_ != nullptr) return ws_->send_shared(block, offset, length);
  // Polling: the frames of the encoded message become packets of the next GET's body
  // (text as it is, binary as 'b' + base64).
  const std::byte* p = block->data() + offset;
  const std::byte* end = p + length;
  while (p < end) {
    proto::ServerHeader frame = proto::decode_server_header(p);
    auto payload = std::span<const std::byte>(p + frame.header, frame.payload);
    if (frame.op == proto::WsOpcode::kBinary) {
      out_.clear();
      proto::append_eio_binary(out_, payload);
      queue_for_poll(out_);
    } else {
      queue_for_poll({reinterpret_cast<const char*>(payload.data()), payload.size()});
    }
    p += frame.header + frame.payload;
  }
}

void EioSession::schedule_ping(uint64_t delay_ms) noexcept {
  core::Shard& shard = service_.shard();
  shard.timers().schedule(heartbeat_, shard.now_ms() + delay_ms);
}

void EioSession::on_heartbeat(void* self) noexcept {
  auto& session = *static_cast<EioSession*>(self);
  if (session.closed_) return;
  if (session.pong_due_) return session.close("ping timeout");
  session.pong_due_ = true;
  session.send_packet(proto::EioType::kPing, {});
  session.schedule_ping(session.service_.config().ping_timeout_ms);
}

void EioSession::on_connect_deadline(void* self) noexcept {
  auto& session = *static_cast<EioSession*>(self);
  if (!session.closed_ && !session.connected_) session.close("no CONNECT in time");
}

void EioSession::disconnect() noexcept {
  if (closed_) return;
  disconnected_ = true;
  if (connected_) send_sio("1");
  close("disconnected by the server");
}

void EioSession::close(const char* why) noexcept {
  if (closed_) return;
  closed_ = true;
  // A socket that went without saying DISCONNECT may come back: its state is kept.
  if (connected_ && !disconnected_ && service_.config().recovery_ms != 0 && !pid_.empty()) {
    service_.keep_record(pid_, record());
  }
  service_.hub().detach(*this);
  if (FrontDoor* door = std::exchange(poll_, nullptr)) {
    // What waits goes first (a DISCONNECT, say), then a close packet.
    if (!waiting_.empty()) waiting_ += kSeparator;
    waiting_ += '1';
    service_.respond(*door, 200, "text/plain; charset=UTF-8", waiting_);
    waiting_.clear();
  }
  if (WsSession* ws = std::exchange(ws_, nullptr)) {
    ws->set_sink(nullptr);
    ws->close(1000, why);
  }
  if (WsSession* ws = std::exchange(probe_, nullptr)) {
    ws->set_sink(nullptr);
    ws->close(1000, why);
  }
  // An armed timer's wheel is alive (a stopped shard's wheel disarms what it held).
  if (heartbeat_.armed()) service_.shard().timers().cancel(heartbeat_);
  if (connect_deadline_.armed()) service_.shard().timers().cancel(connect_deadline_);
  if (upgrade_deadline_.armed()) service_.shard().timers().cancel(upgrade_deadline_);
  service_.closed(*this);
}

}  // namespace rg::gateway
