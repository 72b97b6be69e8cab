#pragma once
// The `echo` scenario over UDP: each "connection" is a connected UDP socket keeping
// --pipeline datagrams in flight. Every echo's sequence number is checked: a gap is
// counted as lost datagrams, an old number as a duplicate, and a socket whose echoes
// stop for 200 ms has its datagrams in flight declared lost and refills its window, so
// one lost datagram does not stall it for the rest of the run.

#include <cstdint>
#include <vector>

#include "bench/measure/bench_counters.h"
#include "core/net/services.h"
#include "core/shard/timer_wheel.h"

namespace rg::bench {

class UdpEchoClient final : public core::DatagramService {
 public:
  UdpEchoClient(size_t size, uint32_t pipeline, BenchCounters& counters, SharedRunState& run);

  void on_ready(core::DatagramSocket& socket) noexcept override;
  void on_datagram(core::DatagramSocket& socket, std::span<const std::byte> payload,
                   const sockaddr* from, socklen_t from_length,
                   core::RxChunk chunk) noexcept override;

 private:
  void send_one(uint64_t now) noexcept;
  static void on_stall_check(void* self) noexcept;

  BenchCounters& counters_;
  SharedRunState& run_;
  core::DatagramSocket* socket_ = nullptr;
  std::vector<std::byte> payload_;
  std::vector<uint64_t> send_times_;  // indexed by sequence number modulo the window
  uint32_t pipeline_;
  uint64_t next_sent_ = 0;
  uint64_t next_expected_ = 0;  // every sequence number below it is settled
  uint64_t last_echo_ms_ = 0;
  core::Timer stall_timer_;
};

}  // namespace rg::bench
