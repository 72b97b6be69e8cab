#include "bench/load/fanout_client.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string_view>
#include <vector>

#include "bench/measure/open_loop.h"
#include "core/net/connection.h"
#include "core/shard/clock.h"
#include "core/shard/shard.h"
#include "proto/envelope/binary_envelope.h"
#include "proto/envelope/length_prefixed.h"
#include "proto/ws/ws_client_codec.h"

namespace rg::bench {

namespace {

namespace bin = proto::bin;

constexpr size_t kStampBytes = 24;  // u64 intended send time, u64 publisher, u64 count
constexpr uint64_t kChurnTickMs = 10;

uint64_t read_u64(const std::byte* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;  // the envelope is little-endian, as is this machine
}

}  // namespace

class FanoutSession final : public LoadSession {
 public:
  // `state`: a member's (kept over its connections), null for a publisher.
  FanoutSession(core::Connection& conn, FanoutClientService& service, FanoutMember* state,
                uint32_t index) noexcept
      : LoadSession(conn, service.counters(), service.run()),
        service_(service),
        config_(service.config()),
        member_(state != nullptr),
        state_(state),
        index_(index),
        room_("room-" + std::to_string(index % config_.rooms)),
        frames_(64 << 20),
        tcp_frames_(64 << 20),
        timer_(&FanoutSession::on_timer, this),
        slow_timer_(&FanoutSession::on_slow_timer, this),
        slow_(member_ && index < config_.slow_members),
        polling_(member_ && config_.protocol == Protocol::kSocketIo &&
                 config_.sio_polling_members) {
    begin(polling_ ? Protocol::kSocketIoPolling : config_.protocol, config_.path, config_.host);
  }
  ~FanoutSession() override {
    if (state_ != nullptr && state_->session == this) state_->session = nullptr;
  }

  // --churn: the connection is reset; the member comes back on a new one.
  void drop_connection() noexcept {
    state_->session = nullptr;
    state_ = nullptr;
    drop();
  }

 private:
  // A slow member: reads 5 ms out of every 500.
  static void on_slow_timer(void* self) noexcept {
    auto& s = *static_cast<FanoutSession*>(self);
    if (s.failed() || s.service_.run().finished.load(std::memory_order_relaxed)) return;
    s.reading_ = !s.reading_;
    if (s.reading_) {
      s.conn_.release_reads();
    } else {
      s.conn_.hold_reads();
    }
    s.conn_.shard().timers().schedule(s.slow_timer_,
                                      s.conn_.shard().now_ms() + (s.reading_ ? 5 : 495));
  }

  void start() noexcept override {
    // Socket.IO: the namespace's CONNECT first; its reply starts the scenario. Polling:
    // the handshake is a GET of its own.
    if (polling_ && sid_.empty()) return http_request("GET", {});
    if (config_.protocol == Protocol::kSocketIo && !sio_connected_) return send_sio("40");
    if (config_.protocol == Protocol::kSocketIo) {
      if (member_) return send_sio("421[\"join\",\"" + room_ + "\"]");
      conn_.shard().timers().schedule(timer_, conn_.shard().now_ms() + 1);
      return;
    }
    if (member_) {
      std::byte frame[bin::kMaxRequestHead + 8 + 1 + 64];
      if (!state_->joined_once) {
        send_envelope({frame, bin::write_request(frame, bin::kJoin, 0, {}, room_)});
        return;
      }
      // Resume: u64 since, u8 epoch length, epoch.
      size_t n = bin::write_request(frame, bin::kJoin, bin::kFlagResume, {}, room_);
      std::memcpy(frame + n, &state_->last_seq, 8);
      n += 8;
      frame[n++] = static_cast<std::byte>(state_->epoch.size());
      std::memcpy(frame + n, state_->epoch.data(), state_->epoch.size());
      n += state_->epoch.size();
      resuming_ = true;
      send_envelope({frame, n});
    } else {
      // Publishers wait for every member to be in its room.
      conn_.shard().timers().schedule(timer_, conn_.shard().now_ms() + 1);
    }
  }

  void send_envelope(std::span<const std::byte> envelope) noexcept {
    if (config_.protocol == Protocol::kTcp) {
      std::byte header[4];
      proto::LengthPrefixedParser::write_header(header, static_cast<uint32_t>(envelope.size()));
      conn_.send_copy(header);
      conn_.send_copy(envelope);
      return;
    }
    scratch_.resize(proto::kMaxClientHeader + envelope.size());
    size_t n =
        proto::encode_client_frame(scratch_.data(), proto::WsOpcode::kBinary, envelope,
                                   static_cast<uint32_t>(rng_ = rng_ * 6364136223846793005ull + 1));
    conn_.send_copy({scratch_.data(), n});
  }

  void send_text(std::string_view text) noexcept {
    scratch_.resize(proto::kMaxClientHeader + text.size());
    size_t n = proto::encode_client_frame(
        scratch_.data(), proto::WsOpcode::kText, std::as_bytes(std::span(text)),
        static_cast<uint32_t>(rng_ = rng_ * 6364136223846793005ull + 1));
    conn_.send_copy({scratch_.data(), n});
  }

  // A delivery's seq against the member's last: losses (skipped seqs) are counted and the
  // delivery taken; a duplicate or reordering is counted and the delivery is not.
  bool account_seq(uint64_t seq) noexcept {
    uint64_t& last_seq = state_->last_seq;
    if (seq == last_seq + 1) {
      last_seq = seq;
    } else if (seq > last_seq + 1 && told_conflated_ >= seq - last_seq - 1) {
      // Replaced by newer messages of their conflation keys, as the gateway told.
      told_conflated_ -= seq - last_seq - 1;
      counters_.add(counters_.conflated, seq - last_seq - 1);
      last_seq = seq;
    } else if (seq > last_seq + 1) {
      counters_.add(counters_.lost, seq - last_seq - 1);
      counters_.note_error("a member missed sequence numbers " + std::to_string(last_seq + 1) +
                           ".." + std::to_string(seq - 1));
      last_seq = seq;
    } else {
      counters_.add(counters_.duplicated);
      counters_.note_error("a member got seq " + std::to_string(seq) + " after " +
                           std::to_string(last_seq) + " (duplicate or out of order)");
      return false;
    }
    return true;
  }

  // One Socket.IO packet: a text frame, or (polling) the next POST's.
  void send_sio(std::string_view packet) noexcept {
    if (!polling_) return send_text(packet);
    if (!post_body_.empty()) post_body_ += '\x1e';
    post_body_ += packet;
  }

  // Polling: one request on the member's keep-alive connection.
  void http_request(std::string_view method, std::string_view body) noexcept {
    std::string r(method);
    r += " /socket.io/?EIO=4&transport=polling";
    if (!sid_.empty()) r += "&sid=" + sid_;
    r += " HTTP/1.1\r\nHost: " + config_.host + "\r\n";
    if (method == "POST") {
      r += "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n";
    }
    r += "\r\n";
    r += body;
    conn_.send_copy(std::as_bytes(std::span(r)));
  }

  // Polling: responses, one at a time (the member sends its next request after each).
  void on_http(std::span<const std::byte> bytes, uint64_t now) noexcept {
    http_in_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    while (true) {
      size_t head_end = http_in_.find("\r\n\r\n");
      if (head_end == std::string::npos) return;
      std::string_view head(http_in_.data(), head_end);
      size_t at = head.find("Content-Length: ");
      size_t length =
          at == std::string_view::npos ? 0 : std::strtoull(head.data() + at + 16, nullptr, 10);
      if (http_in_.size() < head_end + 4 + length) return;
      if (!head.starts_with("HTTP/1.1 200")) {
        return fail(counters_.mismatched,
                    "a polling request refused: " + std::string(head.substr(0, 40)));
      }
      std::string body = http_in_.substr(head_end + 4, length);
      http_in_.erase(0, head_end + 4 + length);
      if (sid_.empty()) {  // the handshake: 0{"sid":"...",...}
        size_t s = body.find("\"sid\":\"");
        if (s == std::string::npos) return fail(counters_.mismatched, "no sid in the open packet");
        sid_ = body.substr(s + 7, body.find('"', s + 7) - s - 7);
        send_sio("40");
      } else if (body != "ok") {  // a GET's packets
        std::string_view rest = body;
        while (!rest.empty() && !failed()) {
          size_t end = rest.find('\x1e');
          on_sio_packet(rest.substr(0, end), now);
          if (end == std::string_view::npos) break;
          rest.remove_prefix(end + 1);
        }
      }
      if (failed()) return;
      // The next request: what waits to be posted, else the next long-poll.
      if (!post_body_.empty()) {
        std::string post = std::move(post_body_);
        post_body_.clear();
        http_request("POST", post);
      } else {
        http_request("GET", {});
      }
    }
  }

  // Socket.IO: publish(room, "tick", "<intended> <publisher> <count> xxx...") with an ack.
  void publish_sio(uint64_t intended) noexcept {
    char stamp[64];
    int n = std::snprintf(stamp, sizeof stamp, "%llu %u %llu ",
                          static_cast<unsigned long long>(intended), index_,
                          static_cast<unsigned long long>(published_));
    sio_text_.assign("42");
    sio_text_ += std::to_string(++sio_ack_id_);
    if (config_.ack_latency) {
      if (sent_at_.empty()) sent_at_.resize(2 * std::max<uint32_t>(config_.pipeline, 1) + 2);
      sent_at_[sio_ack_id_ % sent_at_.size()] = intended;
    }
    sio_text_ += "[\"publish\",\"" + room_ + "\",\"tick\",\"";
    sio_text_.append(stamp, static_cast<size_t>(n));
    if (config_.size > static_cast<size_t>(n)) sio_text_.append(config_.size - n, 'x');
    sio_text_ += "\"]";
    ++published_;
    ++in_flight_;
    counters_.add(counters_.sent);
    send_text(sio_text_);
  }

  // One Engine.IO text packet from the server.
  void on_sio_packet(std::string_view p, uint64_t now) noexcept {
    if (p == "2") return send_sio("3");           // the server's ping
    if (p.starts_with("0{") || p == "6") return;  // open, noop
    if (p.starts_with("40{")) {
      sio_connected_ = true;
      return start();
    }
    if (p.starts_with("431[")) {  // the member's join ack: {"room":..,"seq":N,...}
      size_t at = p.find("\"seq\":");
      if (at == std::string_view::npos || state_ == nullptr) {
        return fail(counters_.mismatched, "a join refused: " + std::string(p));
      }
      state_->last_seq = std::strtoull(p.data() + at + 6, nullptr, 10);
      state_->joined_once = true;
      state_->session = this;
      service_.shared().joined.fetch_add(1, std::memory_order_release);
      return;
    }
    if (p.starts_with("43")) {  // a publish's ack
      if (p.find("\"error\"") != std::string_view::npos) {
        return fail(counters_.mismatched, "a publish refused: " + std::string(p));
      }
      if (in_flight_ > 0) --in_flight_;
      if (config_.ack_latency) {  // echo: the round trip is the publish's ack
        uint64_t id = std::strtoull(p.data() + 2, nullptr, 10);
        uint64_t sent_at = sent_at_.empty() ? 0 : sent_at_[id % sent_at_.size()];
        counters_.add(counters_.received);
        counters_.add(counters_.bytes_received, p.size());
        if (service_.run().measuring.load(std::memory_order_relaxed) && now > sent_at) {
          counters_.record(now - sent_at);
        }
      }
      if (config_.rate_per_publisher <= 0 && sending_ &&
          !service_.run().finished.load(std::memory_order_relaxed)) {
        publish_sio(core::monotonic_ns());
      }
      return;
    }
    if (p.starts_with("42[\"tick\",\"")) {  // a delivery: ...,"<hash>:<seq>"]
      if (state_ == nullptr) return;
      uint64_t sent_at = std::strtoull(p.data() + 11, nullptr, 10);
      size_t colon = p.rfind(':');
      if (colon == std::string_view::npos) return fail(counters_.mismatched, "no offset");
      uint64_t seq = std::strtoull(p.data() + colon + 1, nullptr, 10);
      if (!account_seq(seq)) return;
      counters_.add(counters_.received);
      counters_.add(counters_.bytes_received, p.size());
      if (service_.run().measuring.load(std::memory_order_relaxed) && now > sent_at) {
        counters_.record(now - sent_at);
      }
      return;
    }
    if (p.starts_with("44") || p.starts_with("41")) {
      return fail(counters_.mismatched, "the server refused: " + std::string(p));
    }
  }

  // A publish whose payload starts with its intended send time.
  void publish(uint64_t intended) noexcept {
    if (config_.protocol == Protocol::kSocketIo) return publish_sio(intended);
    if (pub_frame_.empty()) {
      // A 1-byte id, so that the gateway acks: the closed loop runs on acks.
      std::byte head[bin::kMaxRequestHead];
      size_t n = bin::write_request(head, bin::kPub,
                                    config_.ckeys > 0 ? bin::kFlagConflationKey : 0, "p", room_);
      pub_frame_.assign(head, head + n);
      if (config_.ckeys > 0) {  // u8 length, "k" and 9 digits (rewritten per publish)
        pub_frame_.push_back(std::byte{10});
        pub_frame_.resize(pub_frame_.size() + 10, std::byte{'0'});
        pub_frame_[n + 1] = std::byte{'k'};
        ckey_at_ = n + 2;
        n += 11;
      }
      stamp_at_ = n;
      pub_frame_.resize(n + std::max<uint64_t>(config_.size, kStampBytes), std::byte{'x'});
    }
    if (config_.ckeys > 0) {
      uint64_t key = published_ % config_.ckeys;
      for (size_t i = 9; i-- > 0; key /= 10) pub_frame_[ckey_at_ + i] = std::byte('0' + key % 10);
    }
    std::byte* stamp = pub_frame_.data() + stamp_at_;
    uint64_t publisher = index_;
    std::memcpy(stamp, &intended, 8);
    std::memcpy(stamp + 8, &publisher, 8);
    std::memcpy(stamp + 16, &published_, 8);
    ++published_;
    ++in_flight_;
    counters_.add(counters_.sent);
    send_envelope(pub_frame_);
  }

  static void on_timer(void* self) noexcept {
    auto& s = *static_cast<FanoutSession*>(self);
    core::Shard& shard = s.conn_.shard();
    if (s.failed() || s.service_.run().finished.load(std::memory_order_relaxed)) return;
    FanoutShared& shared = s.service_.shared();
    if (!s.sending_) {
      if (shared.joined.load(std::memory_order_acquire) < shared.members) {
        shard.timers().schedule(s.timer_, shard.now_ms() + 1);
        return;
      }
      s.sending_ = true;
      uint64_t now = core::monotonic_ns();
      if (s.config_.rate_per_publisher > 0) {
        s.schedule_.start(s.config_.rate_per_publisher, now);
      } else {
        for (uint32_t i = 0; i < s.config_.pipeline; ++i) s.publish(now);
        return;
      }
    }
    s.schedule_.send_due(core::monotonic_ns(), [&s](uint64_t intended) { s.publish(intended); });
    shard.timers().schedule(s.timer_, shard.now_ms() + 1);
  }

  void on_stream(std::span<const std::byte> bytes, uint64_t now) noexcept override {
    if (polling_) return on_http(bytes, now);
    if (config_.protocol == Protocol::kTcp) {
      auto err =
          tcp_frames_.feed(bytes, [&](std::span<const std::byte> p) { on_envelope(p, now); });
      if (err != proto::FrameError::kNone) fail(counters_.mismatched, "a frame over 64 MiB");
      return;
    }
    auto err = frames_.feed(bytes, [&](proto::WsOpcode op, bool fin, std::span<const std::byte> p) {
      if (op == proto::WsOpcode::kPing) {
        std::byte frame[proto::kMaxClientHeader + 125];
        size_t n = proto::encode_client_frame(frame, proto::WsOpcode::kPong,
                                              p.subspan(0, std::min<size_t>(p.size(), 125)), 0);
        conn_.send_copy({frame, n});
      } else if (config_.protocol == Protocol::kSocketIo && op == proto::WsOpcode::kText && fin) {
        on_sio_packet({reinterpret_cast<const char*>(p.data()), p.size()}, now);
      } else if (op == proto::WsOpcode::kBinary && fin) {
        on_envelope(p, now);
      } else if (op == proto::WsOpcode::kText || op == proto::WsOpcode::kContinuation) {
        fail(counters_.mismatched, "an unexpected text or fragmented frame");
      }
    });
    if (err != proto::ServerFrameReader::Error::kNone)
      fail(counters_.mismatched, "a malformed frame");
  }

  void on_envelope(std::span<const std::byte> e, uint64_t now) noexcept {
    if (failed() || e.size() < 3) return fail(counters_.mismatched, "a short envelope");
    uint8_t op = std::to_integer<uint8_t>(e[0]);
    size_t at = 3 + std::to_integer<size_t>(e[2]);
    auto room_end = [&]() -> size_t {
      if (e.size() <= at) return 0;
      return at + 1 + std::to_integer<size_t>(e[at]);
    };
    switch (op) {
      case bin::kJoined: {
        size_t p = room_end();
        if (p == 0 || e.size() < p + 9 || e.size() < p + 9 + std::to_integer<size_t>(e[p + 8])) {
          return fail(counters_.mismatched, "a short joined");
        }
        if (state_ == nullptr) return;  // dropped meanwhile
        uint64_t seq = read_u64(e.data() + p);
        state_->epoch.assign(reinterpret_cast<const char*>(e.data() + p + 9),
                             std::to_integer<size_t>(e[p + 8]));
        state_->session = this;
        if (!resuming_) {
          state_->last_seq = seq;
          state_->joined_once = true;
          service_.shared().joined.fetch_add(1, std::memory_order_release);
          if (slow_) on_slow_timer(this);
          return;
        }
        counters_.add(counters_.resumes);
        live_from_ = seq;
        if ((std::to_integer<uint8_t>(e[1]) & bin::kFlagRecovered) == 0) {
          counters_.add(counters_.lost, seq - std::min(seq, state_->last_seq));
          counters_.note_error("a resume was not recovered");
          state_->last_seq = seq;
        }
        return;
      }
      case bin::kMsg: {
        size_t p = room_end();
        if (p == 0 || e.size() < p + 8 + kStampBytes)
          return fail(counters_.mismatched, "a short msg");
        if (state_ == nullptr) return;  // dropped: what still arrives is not counted
        uint64_t seq = read_u64(e.data() + p);
        uint64_t sent_at = read_u64(e.data() + p + 8);
        if (!account_seq(seq)) return;
        counters_.add(counters_.received);
        counters_.add(counters_.bytes_received, e.size() - p - 8);
        if (seq <= live_from_) {  // from history: late by design, not a latency sample
          counters_.add(counters_.replayed);
          return;
        }
        if (!slow_ && service_.run().measuring.load(std::memory_order_relaxed) && now > sent_at) {
          counters_.record(now - sent_at);
        }
        return;
      }
      case bin::kConflated: {
        size_t p = room_end();
        if (p == 0 || e.size() < p + 8) return fail(counters_.mismatched, "a short conflated");
        told_conflated_ += read_u64(e.data() + p);
        return;
      }
      case bin::kGap: {
        size_t p = room_end();
        if (p == 0 || e.size() < p + 16) return fail(counters_.mismatched, "a short gap");
        if (state_ == nullptr) return;
        uint64_t from = read_u64(e.data() + p), to = read_u64(e.data() + p + 8);
        counters_.add(counters_.lost, to - from + 1);
        counters_.note_error("the gateway skipped messages for a slow member (gap notice)");
        state_->last_seq = std::max(state_->last_seq, to);
        return;
      }
      case bin::kAck:
        if (in_flight_ > 0) --in_flight_;
        if (config_.rate_per_publisher <= 0 && sending_ &&
            !service_.run().finished.load(std::memory_order_relaxed)) {
          publish(core::monotonic_ns());
        }
        return;
      case bin::kError: {
        std::string message;
        if (e.size() >= at + 3) {
          size_t n = std::to_integer<size_t>(e[at + 1]) | std::to_integer<size_t>(e[at + 2]) << 8;
          message.assign(reinterpret_cast<const char*>(e.data()) + at + 3,
                         std::min(n, e.size() - at - 3));
        }
        return fail(counters_.mismatched, "the gateway answered an error: " + message);
      }
      default:
        return;
    }
  }

  FanoutClientService& service_;
  const FanoutConfig& config_;
  bool member_;
  FanoutMember* state_;  // a member's, until its connection is dropped
  bool resuming_ = false;
  uint64_t live_from_ = 0;  // a resume's joined seq: messages up to it are replayed
  uint32_t index_;
  std::string room_;
  proto::ServerFrameReader frames_;
  proto::LengthPrefixedParser tcp_frames_;
  core::Timer timer_;
  core::Timer slow_timer_;
  bool slow_;  // --slow-members: reads 5 ms in 500
  bool reading_ = true;
  uint64_t told_conflated_ = 0;  // replaced messages told and not yet seen as seq gaps
  size_t ckey_at_ = 0;           // where the ckey's digits are in pub_frame_
  std::vector<std::byte> scratch_;
  std::vector<std::byte> pub_frame_;
  size_t stamp_at_ = 0;  // where a publish's payload starts in pub_frame_
  uint64_t rng_ = 0x2545F4914F6CDD1Dull;
  uint64_t published_ = 0;
  uint64_t in_flight_ = 0;
  OpenLoopSchedule schedule_;
  bool sending_ = false;
  bool polling_;                // a Socket.IO member on long-polling
  std::string sid_;             // its Engine.IO session
  std::string post_body_;       // packets for its next POST
  std::string http_in_;         // responses not read whole yet
  bool sio_connected_ = false;  // Socket.IO: the CONNECT was answered
  uint64_t sio_ack_id_ = 1;     // 1 is the member's join
  std::string sio_text_;
  std::vector<uint64_t> sent_at_;  // echo: each publish in flight's send time, by ack id
};

FanoutClientService::FanoutClientService(const FanoutConfig& config, BenchCounters& counters,
                                         SharedRunState& run, FanoutShared& shared,
                                         uint32_t members, uint32_t publishers,
                                         uint32_t first_member, uint32_t first_publisher) noexcept
    : config_(config),
      counters_(counters),
      run_(run),
      shared_(shared),
      members_(members),
      first_member_(first_member),
      first_publisher_(first_publisher),
      publishers_(publishers),
      tick_(counters),
      churn_(&FanoutClientService::on_churn, this),
      member_state_(members) {}

FanoutClientService::~FanoutClientService() = default;

std::unique_ptr<core::StreamSession> FanoutClientService::open(core::Connection& conn) noexcept {
  if (shard_ == nullptr) {
    shard_ = &conn.shard();
    tick_.start(*shard_);
    if (config_.churn_per_member > 0 && members_ > 0) {
      shard_->timers().schedule(churn_, shard_->now_ms() + kChurnTickMs);
    }
  }
  if (opened_ >= members_ + publishers_ && !reconnecting_.empty()) {
    uint32_t ordinal = reconnecting_.front();  // a member coming back
    reconnecting_.pop_front();
    return std::make_unique<FanoutSession>(conn, *this, &member_state_[ordinal],
                                           first_member_ + ordinal);
  }
  uint32_t ordinal = opened_++;
  bool member = ordinal < members_;
  uint32_t index = member ? first_member_ + ordinal : first_publisher_ + (ordinal - members_);
  return std::make_unique<FanoutSession>(conn, *this, member ? &member_state_[ordinal] : nullptr,
                                         index);
}

void FanoutClientService::on_churn(void* self) noexcept {
  auto& service = *static_cast<FanoutClientService*>(self);
  core::Shard& shard = *service.shard_;
  if (service.run_.finished.load(std::memory_order_relaxed)) return;
  shard.timers().schedule(service.churn_, shard.now_ms() + kChurnTickMs);
  // Drops begin once every member has joined (the publishers start then too).
  if (service.shared_.joined.load(std::memory_order_acquire) < service.shared_.members) return;
  service.churn_budget_ +=
      service.config_.churn_per_member * service.members_ * (kChurnTickMs / 1000.0);
  for (uint32_t tries = 0; service.churn_budget_ >= 1 && tries < 4 * service.members_; ++tries) {
    service.churn_rng_ = service.churn_rng_ * 6364136223846793005ull + 1442695040888963407ull;
    uint32_t ordinal = static_cast<uint32_t>((service.churn_rng_ >> 33) % service.members_);
    FanoutMember& member = service.member_state_[ordinal];
    if (member.session == nullptr) continue;  // reconnecting, or not joined yet
    member.session->drop_connection();
    service.reconnecting_.push_back(ordinal);
    shard.connect_again(service);
    service.churn_budget_ -= 1;
  }
}

void FanoutClientService::on_connect_failed(int error) noexcept {
  counters_.count_connect_failure(error);
}

}  // namespace rg::bench
