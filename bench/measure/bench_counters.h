#pragma once
// What one load-generating shard saw. Counters have one writer (the shard's thread) and
// are read by the main thread for the progress line, so they are relaxed atomics. The
// latency histograms are handed over under a mutex once a second, never per message.

#include <atomic>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>

#include "bench/measure/histogram.h"

namespace rg::bench {

struct SharedRunState {
  std::atomic<bool> measuring{false};  // between the end of the warm-up and the end
  std::atomic<bool> finished{false};   // the run is over: closes are ours, not the server's
};

struct BenchCounters {
  std::atomic<uint64_t> sent{0};
  std::atomic<uint64_t> received{0};
  std::atomic<uint64_t> bytes_sent{0};      // payload bytes
  std::atomic<uint64_t> bytes_received{0};  // payload bytes
  std::atomic<uint64_t> open{0};            // connections ready to send
  std::atomic<uint64_t> connect_failed{0};
  std::atomic<uint64_t> handshake_failed{0};
  std::atomic<uint64_t> closed_by_server{0};
  std::atomic<uint64_t> mismatched{0};  // an echo that is not what was sent
  std::atomic<uint64_t> lost{0};        // UDP: echoes that never came; fanout: skipped seqs
  std::atomic<uint64_t> duplicated{0};  // fanout: a seq seen again, or out of order
  std::atomic<uint64_t> resumes{0};     // fanout --churn: joins with since/epoch answered
  std::atomic<uint64_t> replayed{0};    // fanout --churn: messages replayed from history
  std::atomic<uint64_t> conflated{0};   // fanout --ckeys: messages replaced, as told

  uint64_t errors() const {
    return connect_failed.load(std::memory_order_relaxed) +
           handshake_failed.load(std::memory_order_relaxed) +
           closed_by_server.load(std::memory_order_relaxed) +
           mismatched.load(std::memory_order_relaxed) + lost.load(std::memory_order_relaxed) +
           duplicated.load(std::memory_order_relaxed);
  }
  void add(std::atomic<uint64_t>& counter, uint64_t n = 1) {
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  // A connection could not be opened (`error`: the errno).
  void count_connect_failure(int error) {
    add(connect_failed);
    note_error(std::string("cannot connect: ") + std::strerror(error));
  }

  // The first error's description, for the final report.
  void note_error(const std::string& what) {
    std::lock_guard lock(mutex_);
    if (first_error_.empty()) first_error_ = what;
  }
  std::string first_error() {
    std::lock_guard lock(mutex_);
    return first_error_;
  }

  // Shard thread: every measured latency.
  void record(uint64_t ns) {
    total_.record(ns);
    interval_.record(ns);
  }
  // Shard thread, once a second: publish the last second's latencies.
  void publish_interval() {
    std::lock_guard lock(mutex_);
    published_ = interval_;
    interval_.clear();
  }
  Histogram last_interval() {
    std::lock_guard lock(mutex_);
    return published_;
  }
  // After the shard has stopped.
  const Histogram& total() const { return total_; }

 private:
  std::mutex mutex_;
  std::string first_error_;
  Histogram total_;
  Histogram interval_;
  Histogram published_;
};

}  // namespace rg::bench
