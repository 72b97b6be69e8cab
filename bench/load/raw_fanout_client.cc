#include "bench/load/raw_fanout_client.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "bench/load/load_session.h"
#include "bench/measure/open_loop.h"
#include "core/net/connection.h"
#include "core/shard/clock.h"
#include "core/shard/shard.h"
#include "proto/ws/ws_client_codec.h"

namespace rg::bench {

namespace {

constexpr size_t kStampBytes = 24;  // u64 intended send time, u64 publisher, u64 count
constexpr uint64_t kProbe = std::numeric_limits<uint64_t>::max();
constexpr uint64_t kProbeEveryMs = 10;
constexpr uint64_t kStallNs = 2'000'000'000;  // a window this long without progress: a loss
constexpr uint64_t kUnprobed = std::numeric_limits<uint64_t>::max();

uint64_t read_u64(const std::byte* p) noexcept {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

}  // namespace

RawFanoutBoard::RawFanoutBoard(const RawFanoutConfig& config)
    : window_(std::max<uint32_t>(config.window, 1)),
      receivers_(config.publishers, 0),
      probes_heard_(new std::atomic<uint32_t>[config.publishers]()),
      completed_(new std::atomic<uint64_t>[config.publishers]()),
      slots_(new std::atomic<uint32_t>[size_t{config.publishers} * window_]()) {
  std::vector<uint32_t> per_room(config.rooms, 0);
  for (uint32_t c = 0; c < config.connections(); ++c) ++per_room[config.room_of(c)];
  for (uint32_t j = 0; j < config.publishers; ++j) {
    receivers_[j] = per_room[config.room_of(config.members + j)] - 1;
  }
}

bool RawFanoutBoard::delivered(uint32_t publisher, uint64_t count) noexcept {
  auto& slot = slots_[size_t{publisher} * window_ + count % window_];
  if (slot.fetch_add(1, std::memory_order_acq_rel) + 1 < receivers_[publisher]) return false;
  // The publish's slot is not reused before it completes: the window keeps it free.
  slot.store(0, std::memory_order_relaxed);
  completed_[publisher].fetch_add(1, std::memory_order_release);
  return true;
}

class RawFanoutSession final : public LoadSession {
 public:
  RawFanoutSession(core::Connection& conn, RawFanoutService& service, uint32_t connection)
      : LoadSession(conn, service.counters(), service.run()),
        service_(service),
        config_(service.config()),
        board_(service.board()),
        connection_(connection),
        publisher_(connection >= config_.members ? connection - config_.members : kNone),
        next_(config_.publishers, kUnprobed),
        frames_(64 << 20),
        timer_(&RawFanoutSession::on_timer, this) {
    begin(Protocol::kWebSocket,
          config_.path_base + "room-" + std::to_string(config_.room_of(connection)), config_.host);
  }
  ~RawFanoutSession() override { service_.forget(this, connection_); }

  bool publisher() const noexcept { return publisher_ != kNone; }

  // Closed loop: publishes until the window is full again.
  void pump() noexcept {
    if (phase_ != Phase::kRunning || config_.rate_per_publisher > 0 || failed()) return;
    uint64_t done = board_.completed(publisher_);
    if (done != last_completed_) {
      last_completed_ = done;
      progress_at_ = core::monotonic_ns();
    }
    while (published_ < done + config_.window &&
           !service_.run().finished.load(std::memory_order_relaxed)) {
      publish(core::monotonic_ns());
    }
  }

 private:
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
  enum class Phase { kWaiting, kProbing, kRunning };

  void start() noexcept override {
    board_.upgraded.fetch_add(1, std::memory_order_release);
    if (publisher()) schedule(1);
  }

  void schedule(uint64_t ms) noexcept {
    conn_.shard().timers().schedule(timer_, conn_.shard().now_ms() + ms);
  }

  void send_frame(uint64_t intended, uint64_t count) noexcept {
    if (frame_.empty())
      frame_.resize(std::max<uint64_t>(config_.size, kStampBytes), std::byte{'x'});
    uint64_t publisher = publisher_;
    std::memcpy(frame_.data(), &intended, 8);
    std::memcpy(frame_.data() + 8, &publisher, 8);
    std::memcpy(frame_.data() + 16, &count, 8);
    wire_.resize(proto::kMaxClientHeader + frame_.size());
    rng_ = rng_ * 6364136223846793005ull + 1;
    size_t n = proto::encode_client_frame(wire_.data(), proto::WsOpcode::kBinary, frame_,
                                          static_cast<uint32_t>(rng_ >> 32));
    conn_.send_copy({wire_.data(), n});
  }

  void publish(uint64_t intended) noexcept {
    send_frame(intended, published_++);
    counters_.add(counters_.sent);
  }

  static void on_timer(void* self) noexcept {
    auto& s = *static_cast<RawFanoutSession*>(self);
    if (s.failed() || s.service_.run().finished.load(std::memory_order_relaxed)) return;
    switch (s.phase_) {
      case Phase::kWaiting:
        if (s.board_.upgraded.load(std::memory_order_acquire) < s.config_.connections()) {
          return s.schedule(1);
        }
        s.phase_ = Phase::kProbing;
        [[fallthrough]];
      case Phase::kProbing:
        if (!s.board_.probed(s.publisher_)) {
          s.send_frame(core::monotonic_ns(), kProbe);
          return s.schedule(kProbeEveryMs);
        }
        s.phase_ = Phase::kRunning;
        s.progress_at_ = core::monotonic_ns();
        if (s.config_.rate_per_publisher > 0) {
          s.schedule_.start(s.config_.rate_per_publisher, s.progress_at_);
        }
        break;
      case Phase::kRunning:
        break;
    }
    s.schedule(1);
    if (s.config_.rate_per_publisher <= 0) {
      // A publisher on another thread than its last receiver learns of completions here.
      s.pump();
      if (s.published_ > s.last_completed_ && core::monotonic_ns() - s.progress_at_ > kStallNs &&
          !s.stalled_) {
        s.stalled_ = true;
        s.counters_.add(s.counters_.lost);
        s.counters_.note_error("a publish did not reach every receiver within 2 s");
      }
      return;
    }
    s.schedule_.send_due(core::monotonic_ns(), [&s](uint64_t intended) { s.publish(intended); });
  }

  void on_stream(std::span<const std::byte> bytes, uint64_t now) noexcept override {
    auto err = frames_.feed(bytes, [&](proto::WsOpcode op, bool fin, std::span<const std::byte> p) {
      if (failed()) return;
      switch (op) {
        case proto::WsOpcode::kPing: {
          std::byte frame[proto::kMaxClientHeader + 125];
          size_t n = proto::encode_client_frame(frame, proto::WsOpcode::kPong,
                                                p.subspan(0, std::min<size_t>(p.size(), 125)), 0);
          conn_.send_copy({frame, n});
          return;
        }
        case proto::WsOpcode::kBinary:
          if (fin) return on_message(p, now);
          [[fallthrough]];
        default:
          return fail(counters_.mismatched, "an unexpected text, fragmented or close frame");
      }
    });
    if (err != proto::ServerFrameReader::Error::kNone)
      fail(counters_.mismatched, "a malformed frame");
  }

  void on_message(std::span<const std::byte> p, uint64_t now) noexcept {
    if (p.size() != std::max<uint64_t>(config_.size, kStampBytes)) {
      return fail(counters_.mismatched, "a frame of another size than was published");
    }
    uint64_t sent_at = read_u64(p.data()), publisher = read_u64(p.data() + 8),
             count = read_u64(p.data() + 16);
    if (publisher >= config_.publishers || publisher == publisher_) {
      return fail(counters_.mismatched, "a frame from no other publisher");
    }
    uint64_t& next = next_[publisher];
    if (count == kProbe) {
      if (next == kUnprobed) {
        next = 0;
        board_.heard_probe(static_cast<uint32_t>(publisher));
      }
      return;
    }
    if (next == kUnprobed) return fail(counters_.mismatched, "a publish before its probe");
    if (count < next) {
      counters_.add(counters_.duplicated);
      counters_.note_error("a publish seen again or out of order");
      return;
    }
    if (count > next) {
      counters_.add(counters_.lost, count - next);
      counters_.note_error("a receiver missed publishes");
    }
    next = count + 1;
    counters_.add(counters_.received);
    counters_.add(counters_.bytes_received, p.size());
    if (service_.run().measuring.load(std::memory_order_relaxed) && now > sent_at) {
      counters_.record(now - sent_at);
    }
    if (config_.rate_per_publisher <= 0 &&
        board_.delivered(static_cast<uint32_t>(publisher), count)) {
      service_.wake_publisher(static_cast<uint32_t>(publisher));
    }
  }

  RawFanoutService& service_;
  const RawFanoutConfig& config_;
  RawFanoutBoard& board_;
  uint32_t connection_;
  uint32_t publisher_;          // kNone for a member
  std::vector<uint64_t> next_;  // by publisher: the count expected next (kUnprobed before)
  proto::ServerFrameReader frames_;
  core::Timer timer_;
  Phase phase_ = Phase::kWaiting;
  std::vector<std::byte> frame_;
  std::vector<std::byte> wire_;
  uint64_t rng_ = 0x2545F4914F6CDD1Dull;
  uint64_t published_ = 0;
  uint64_t last_completed_ = 0;
  uint64_t progress_at_ = 0;
  bool stalled_ = false;
  OpenLoopSchedule schedule_;
};

RawFanoutService::RawFanoutService(const RawFanoutConfig& config, RawFanoutBoard& board,
                                   BenchCounters& counters, SharedRunState& run,
                                   uint32_t first) noexcept
    : config_(config),
      board_(board),
      counters_(counters),
      run_(run),
      first_(first),
      tick_(counters),
      local_publishers_(config.publishers, nullptr) {}

RawFanoutService::~RawFanoutService() = default;

std::unique_ptr<core::StreamSession> RawFanoutService::open(core::Connection& conn) noexcept {
  tick_.start(conn.shard());
  uint32_t connection = first_ + opened_++;
  auto session = std::make_unique<RawFanoutSession>(conn, *this, connection);
  if (session->publisher()) local_publishers_[connection - config_.members] = session.get();
  return session;
}

void RawFanoutService::forget(RawFanoutSession* session, uint32_t connection) noexcept {
  if (connection >= config_.members && local_publishers_[connection - config_.members] == session) {
    local_publishers_[connection - config_.members] = nullptr;
  }
}

void RawFanoutService::wake_publisher(uint32_t publisher) noexcept {
  if (RawFanoutSession* p = local_publishers_[publisher]) p->pump();
}

void RawFanoutService::on_connect_failed(int error) noexcept {
  counters_.count_connect_failure(error);
}

}  // namespace rg::bench
