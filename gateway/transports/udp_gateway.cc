#include "gateway/transports/udp_gateway.h"

#include <cstring>

#include "gateway/rooms/room_hub.h"
#include "proto/envelope/binary_envelope.h"

namespace rg::gateway {

namespace {

constexpr uint32_t kSweepIntervalMs = 1000;

// A peer is found by its address's bytes, looked up without a copy.
std::string_view address_key(const sockaddr* address, socklen_t length) {
  return {reinterpret_cast<const char*>(address), length};
}

}  // namespace

class UdpGatewayService::Peer final : public Member {
 public:
  Peer(core::DatagramSocket& socket, RoomHub& hub, const sockaddr* address, socklen_t length)
      : socket_(socket),
        hub_(hub),
        counts_(socket.stats().of(core::Protocol::kUdp)),
        length_(length) {
    std::memcpy(&address_, address, length);
    ++counts_.opened;
  }
  ~Peer() override { ++counts_.closed; }

  size_t queued_bytes() const noexcept override { return 0; }
  bool send_encoded(const core::BlockRef& block, size_t offset, size_t length) noexcept override {
    if (!socket_.send_shared_to(address(), length_, block, offset, length)) return false;
    ++counts_.messages_out;
    return true;
  }
  void send_reply(WireForm, std::span<const std::byte> body) noexcept override {
    socket_.send_copy_to(address(), length_, body);
  }
  void cut_off_slow() noexcept override {}  // UDP members never queue: sends succeed or drop
  // Told, out of every room at once, and forgotten by the next sweep (or the address's
  // next datagram): it must hello and join again.
  void disconnect() noexcept override {
    drop(proto::ErrorCode::kDisconnected, "disconnected by the server");
  }
  void cut_off_rate_limited() noexcept override {
    drop(proto::ErrorCode::kRateLimited, "rate limit exceeded for too long");
  }
  void cut_off_unauthorized(bool expired) noexcept override {
    if (expired) return drop(proto::ErrorCode::kTokenExpired, "the token expired");
    drop(proto::ErrorCode::kUnauthorized, "no valid token");
  }

  uint64_t last_heard_ms = 0;
  bool gone = false;  // disconnected: no longer a member

 private:
  const sockaddr* address() const { return reinterpret_cast<const sockaddr*>(&address_); }
  void drop(proto::ErrorCode code, const char* why) noexcept {
    std::byte out[proto::bin::kMaxReplySize];
    size_t n = proto::bin::write_error(out, code, why, {});
    socket_.send_copy_to(address(), length_, {out, n});
    hub_.detach(*this);
    gone = true;
  }
  core::DatagramSocket& socket_;
  RoomHub& hub_;
  core::ProtocolStats& counts_;
  sockaddr_storage address_{};
  socklen_t length_;
};

UdpGatewayService::UdpGatewayService(RoomHub& hub, const CookieKey& key,
                                     const UdpGatewayConfig& config)
    : hub_(hub), key_(key), config_(config), sweep_(&UdpGatewayService::on_sweep, this) {}

UdpGatewayService::~UdpGatewayService() {
  for (auto& [address, peer] : peers_) hub_.detach(*peer);
}

void UdpGatewayService::on_ready(core::DatagramSocket& socket) noexcept {
  socket_ = &socket;
  socket.shard().timers().schedule(sweep_, socket.shard().now_ms() + kSweepIntervalMs);
}

void UdpGatewayService::on_sweep(void* self) noexcept {
  auto& service = *static_cast<UdpGatewayService*>(self);
  core::Shard& shard = service.socket_->shard();
  uint64_t now = shard.now_ms();
  for (auto it = service.peers_.begin(); it != service.peers_.end();) {
    if (it->second->gone || now - it->second->last_heard_ms >= service.config_.idle_timeout_ms) {
      service.hub_.detach(*it->second);
      it = service.peers_.erase(it);
    } else {
      ++it;
    }
  }
  shard.timers().schedule(service.sweep_, now + kSweepIntervalMs);
}

void UdpGatewayService::reply_unverified(core::DatagramSocket& socket, const sockaddr* to,
                                         socklen_t length, size_t request_size,
                                         proto::RequestError error, std::string_view id) noexcept {
  std::byte out[proto::bin::kMaxReplySize];
  size_t n = proto::bin::write_error(out, error.code, error.message, id);
  if (n > request_size) {
    // Never more bytes than were sent to an address that has not proven itself.
    n = proto::bin::write_error(out, error.code, {}, id);
    if (n > request_size) return;
  }
  socket.send_copy_to(to, length, {out, n});
}

void UdpGatewayService::on_datagram(core::DatagramSocket& socket,
                                    std::span<const std::byte> payload, const sockaddr* from,
                                    socklen_t from_length, core::RxChunk) noexcept {
  core::Shard& shard = socket.shard();
  ++socket.stats().of(core::Protocol::kUdp).messages_in;
  std::string_view key = address_key(from, from_length);
  auto it = peers_.find(key);
  if (it != peers_.end() && it->second->gone) {
    peers_.erase(it);  // (detached when it was disconnected)
    it = peers_.end();
  }
  Peer* peer = it == peers_.end() ? nullptr : it->second.get();
  proto::Request request;
  proto::RequestError error = proto::bin::parse_request(payload, request);
  if (peer != nullptr && !hub_.admit(*peer, WireForm::kUdp, payload.size(), request.id)) return;
  if (error) {
    if (peer != nullptr) return hub_.reply_error(*peer, WireForm::kUdp, error, request.id);
    return reply_unverified(socket, from, from_length, payload.size(), error, request.id);
  }
  uint64_t now_s = shard.now_ms() / 1000;
  if (request.op == proto::RequestOp::kHello) {
    if (payload.size() < proto::bin::kMinHelloSize) return;  // too short to answer safely
    Cookie cookie = key_.make(from, from_length, now_s);
    std::byte out[proto::bin::kMaxReplySize];
    size_t n = proto::bin::write_cookie(out, cookie);
    socket.send_copy_to(from, from_length, {out, n});
    return;
  }
  if (peer == nullptr) {
    // A new address becomes a member by a join, or (--auth required) by an auth, with the
    // cookie from hello either way.
    if (request.op != proto::RequestOp::kJoin && request.op != proto::RequestOp::kAuth) {
      return reply_unverified(
          socket, from, from_length, payload.size(),
          {proto::ErrorCode::kHelloFirst, "send hello, then join with the cookie"}, request.id);
    }
    if (!key_.check(std::as_bytes(std::span(request.cookie.data(), request.cookie.size())), from,
                    from_length, now_s)) {
      return reply_unverified(socket, from, from_length, payload.size(),
                              {proto::ErrorCode::kBadCookie, "join needs a cookie from hello"},
                              request.id);
    }
    if (peers_.size() >= config_.max_peers) {
      return reply_unverified(socket, from, from_length, payload.size(),
                              {proto::ErrorCode::kBusy, "too many UDP members"}, request.id);
    }
    auto created = std::make_unique<Peer>(socket, hub_, from, from_length);
    peer = created.get();
    hub_.attach(*peer);
    peers_.emplace(std::string(key), std::move(created));
  }
  peer->last_heard_ms = shard.now_ms();
  if (request.op == proto::RequestOp::kPub && hub_.congested()) {
    // A datagram cannot be held back like a stream: refuse it, and say so.
    return hub_.reply_error(*peer, WireForm::kUdp, {proto::ErrorCode::kBusy, "gateway busy"},
                            request.id);
  }
  hub_.handle(*peer, WireForm::kUdp, request);
}

}  // namespace rg::gateway
