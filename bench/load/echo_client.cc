#include "bench/load/echo_client.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <string_view>
#include <vector>

#include "bench/measure/open_loop.h"
#include "core/net/connection.h"
#include "core/shard/clock.h"
#include "core/shard/shard.h"
#include "proto/envelope/length_prefixed.h"
#include "proto/ws/ws_client_codec.h"

namespace rg::bench {

namespace {

class EchoClientSession final : public LoadSession, public EchoClientService::Paced {
 public:
  EchoClientSession(core::Connection& conn, EchoClientService& service) noexcept
      : LoadSession(conn, service.counters(), service.run()),
        service_(service),
        config_(service.config()),
        send_times_(config_.rate_per_connection > 0 ? 0 : config_.pipeline),
        payload_(config_.size, std::byte{'x'}),
        frame_(proto::kMaxClientHeader + config_.size),
        frames_(config_.size + 16),
        tcp_frames_(static_cast<uint32_t>(config_.size)),
        rng_(0x9E3779B97F4A7C15ull ^ reinterpret_cast<uintptr_t>(this)) {
    begin(config_.protocol, config_.path, config_.host);
  }

  ~EchoClientSession() override {
    if (paced_) service_.remove_paced(this);
  }

 private:
  void start() noexcept override {
    if (config_.rate_per_connection > 0) {
      // Open loop: sends follow a schedule, whatever the echoes do. Connections start at
      // staggered offsets so that they do not all send in the same instant.
      uint64_t ordinal = service_.paced_count();
      schedule_.start(
          config_.rate_per_connection,
          core::monotonic_ns() + (ordinal * 7919 % 1000) * schedule_.interval_ns() / 1000);
      paced_ = true;
      service_.add_paced(this);
      return;
    }
    for (uint32_t i = 0; i < config_.pipeline; ++i) send_one(core::monotonic_ns());
  }

 public:
  // Sends every message whose intended time has come (bench/measure/open_loop.h).
  void send_due(uint64_t now) noexcept override {
    if (failed() || service_.run().finished.load(std::memory_order_relaxed)) return;
    schedule_.send_due(now, [this](uint64_t intended) {
      intended_.push_back(intended);
      send_message();
    });
  }

 private:
  void mismatch(const std::string& why) noexcept { fail(counters_.mismatched, why); }

  void on_stream(std::span<const std::byte> bytes, uint64_t now) noexcept override {
    if (config_.protocol == Protocol::kTcp) {
      auto err = tcp_frames_.feed(bytes, [&](std::span<const std::byte> p) { on_echo(p, now); });
      if (err != proto::FrameError::kNone) mismatch("an echo larger than what was sent");
      return;
    }
    auto err = frames_.feed(bytes, [&](proto::WsOpcode op, bool fin, std::span<const std::byte> p) {
      if (op == proto::WsOpcode::kPing) {
        send_frame(proto::WsOpcode::kPong, p);
      } else if (op == proto::WsOpcode::kClose) {
        // The server is closing: not an echo. Counted when the connection goes away.
      } else if (op != proto::WsOpcode::kPong) {
        if (!fin || op == proto::WsOpcode::kContinuation) {
          mismatch("the server fragmented an echo");  // no echo server does this
        } else {
          on_echo(p, now);
        }
      }
    });
    if (err != proto::ServerFrameReader::Error::kNone)
      mismatch("a malformed frame from the server");
  }

  void on_echo(std::span<const std::byte> payload, uint64_t now) noexcept {
    if (failed()) return;
    if (payload.size() != config_.size) return mismatch("an echo of the wrong size");
    if (payload.size() >= 8) {
      uint64_t seq;
      std::memcpy(&seq, payload.data(), 8);
      if (seq != next_received_) return mismatch("an echo out of order, lost or duplicated");
    }
    ++next_received_;
    uint64_t sent_at;
    if (paced_) {
      if (intended_.empty()) return mismatch("an echo of a message never sent");
      sent_at = intended_.front();
      intended_.pop_front();
    } else {
      sent_at = send_times_[head_];
      head_ = head_ + 1 == send_times_.size() ? 0 : head_ + 1;
    }
    counters_.add(counters_.received);
    counters_.add(counters_.bytes_received, payload.size());
    if (service_.run().measuring.load(std::memory_order_relaxed)) counters_.record(now - sent_at);
    if (!paced_ && !service_.run().finished.load(std::memory_order_relaxed)) send_one(now);
  }

  // Closed loop: send one more, now.
  void send_one(uint64_t now) noexcept {
    send_times_[tail_] = now;
    tail_ = tail_ + 1 == send_times_.size() ? 0 : tail_ + 1;
    send_message();
  }

  void send_message() noexcept {
    if (payload_.size() >= 8) std::memcpy(payload_.data(), &next_sent_, 8);
    ++next_sent_;
    if (config_.protocol == Protocol::kTcp) {
      std::byte header[4];
      proto::LengthPrefixedParser::write_header(header, static_cast<uint32_t>(payload_.size()));
      conn_.send_copy(header);
      conn_.send_copy(payload_);
    } else {
      send_frame(proto::WsOpcode::kBinary, payload_);
    }
    counters_.add(counters_.sent);
    counters_.add(counters_.bytes_sent, payload_.size());
  }

  void send_frame(proto::WsOpcode op, std::span<const std::byte> payload) noexcept {
    // A fresh mask for every frame, as browsers do (RFC 6455 5.3).
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    if (frame_.size() < proto::kMaxClientHeader + payload.size()) {
      frame_.resize(proto::kMaxClientHeader + payload.size());
    }
    size_t n = proto::encode_client_frame(frame_.data(), op, payload, static_cast<uint32_t>(rng_));
    conn_.send_copy({frame_.data(), n});
  }

  EchoClientService& service_;
  const EchoConfig& config_;
  std::vector<uint64_t> send_times_;  // closed loop, a ring: send times of those in flight
  std::deque<uint64_t> intended_;     // open loop: intended send times of those in flight
  OpenLoopSchedule schedule_;
  bool paced_ = false;
  size_t head_ = 0;
  size_t tail_ = 0;
  uint64_t next_sent_ = 0;
  uint64_t next_received_ = 0;
  std::vector<std::byte> payload_;
  std::vector<std::byte> frame_;
  proto::ServerFrameReader frames_;
  proto::LengthPrefixedParser tcp_frames_;
  uint64_t rng_;
};

}  // namespace

std::unique_ptr<core::StreamSession> EchoClientService::open(core::Connection& conn) noexcept {
  shard_ = &conn.shard();
  tick_.start(*shard_);
  return std::make_unique<EchoClientSession>(conn, *this);
}

void EchoClientService::on_connect_failed(int error) noexcept {
  counters_.count_connect_failure(error);
}

void EchoClientService::add_paced(Paced* session) {
  paced_.push_back(session);
  ++paced_opened_;
  if (!pace_.armed()) shard_->timers().schedule(pace_, shard_->now_ms() + 1);
}

void EchoClientService::remove_paced(Paced* session) noexcept {
  auto it = std::find(paced_.begin(), paced_.end(), session);
  if (it != paced_.end()) {
    *it = paced_.back();
    paced_.pop_back();
  }
}

void EchoClientService::on_pace(void* self) noexcept {
  auto& service = *static_cast<EchoClientService*>(self);
  uint64_t now = core::monotonic_ns();
  for (Paced* session : service.paced_) session->send_due(now);
  if (!service.paced_.empty()) {
    service.shard_->timers().schedule(service.pace_, service.shard_->now_ms() + 1);
  }
}

}  // namespace rg::bench
