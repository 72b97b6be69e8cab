#include "bench/load/udp_echo_client.h"

#include <cstring>

#include "core/shard/clock.h"
#include "core/shard/shard.h"

namespace rg::bench {

namespace {
constexpr uint64_t kStallMs = 200;
}

UdpEchoClient::UdpEchoClient(size_t size, uint32_t pipeline, BenchCounters& counters,
                             SharedRunState& run)
    : counters_(counters),
      run_(run),
      payload_(std::max<size_t>(size, 8), std::byte{'u'}),
      send_times_(pipeline),
      pipeline_(pipeline),
      stall_timer_(&on_stall_check, this) {}

void UdpEchoClient::on_ready(core::DatagramSocket& socket) noexcept {
  socket_ = &socket;
  counters_.add(counters_.open);
  uint64_t now = core::monotonic_ns();
  last_echo_ms_ = socket.shard().now_ms();
  for (uint32_t i = 0; i < pipeline_; ++i) send_one(now);
  socket.shard().timers().schedule(stall_timer_, last_echo_ms_ + kStallMs);
}

void UdpEchoClient::send_one(uint64_t now) noexcept {
  if (run_.finished.load(std::memory_order_relaxed)) return;
  std::memcpy(payload_.data(), &next_sent_, 8);
  send_times_[next_sent_ % pipeline_] = now;
  ++next_sent_;
  if (socket_->send_copy_to(nullptr, 0, payload_)) {
    counters_.add(counters_.sent);
    counters_.add(counters_.bytes_sent, payload_.size());
  } else {
    counters_.add(counters_.lost);  // no send slot: it never left
    counters_.note_error("UDP datagrams were lost");
  }
}

void UdpEchoClient::on_datagram(core::DatagramSocket& socket, std::span<const std::byte> payload,
                                const sockaddr*, socklen_t, core::RxChunk) noexcept {
  uint64_t now = core::monotonic_ns();
  last_echo_ms_ = socket.shard().now_ms();
  uint64_t seq = 0;
  if (payload.size() != payload_.size()) {
    counters_.add(counters_.mismatched);
    counters_.note_error("a UDP echo of the wrong size");
    return;
  }
  std::memcpy(&seq, payload.data(), 8);
  if (seq < next_expected_ || seq >= next_sent_) {
    counters_.add(counters_.mismatched);  // a duplicate, or one never sent
    counters_.note_error("a UDP echo duplicated or never sent");
    return;
  }
  uint64_t skipped = seq - next_expected_;
  if (skipped > 0) {
    counters_.add(counters_.lost, skipped);
    counters_.note_error("UDP datagrams were lost");
  }
  next_expected_ = seq + 1;
  counters_.add(counters_.received);
  counters_.add(counters_.bytes_received, payload.size());
  if (run_.measuring.load(std::memory_order_relaxed))
    counters_.record(now - send_times_[seq % pipeline_]);
  for (uint64_t i = 0; i <= skipped; ++i) send_one(now);  // keep the window full
}

void UdpEchoClient::on_stall_check(void* self) noexcept {
  auto& client = *static_cast<UdpEchoClient*>(self);
  core::Shard& shard = client.socket_->shard();
  uint64_t now_ms = shard.now_ms();
  if (client.run_.finished.load(std::memory_order_relaxed)) return;
  if (now_ms - client.last_echo_ms_ >= kStallMs && client.next_expected_ < client.next_sent_) {
    // Nothing came back for a while: what is in flight is gone.
    uint64_t gone = client.next_sent_ - client.next_expected_;
    client.counters_.add(client.counters_.lost, gone);
    client.counters_.note_error("UDP datagrams were lost");
    client.next_expected_ = client.next_sent_;
    client.last_echo_ms_ = now_ms;
    uint64_t now = core::monotonic_ns();
    for (uint64_t i = 0; i < gone; ++i) client.send_one(now);
  }
  shard.timers().schedule(client.stall_timer_, now_ms + kStallMs);
}

}  // namespace rg::bench
