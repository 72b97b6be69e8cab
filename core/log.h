#pragma once
// The process' log: one line per notable event (start, stop, errors, cut-offs,
// authentication failures), as text or JSON lines on stderr. Shards never write: each has
// a ShardLog, a bounded single-producer ring of fixed-size entries behind a token bucket,
// which the logger's own thread drains every 50 ms; what the bucket or the ring refuses is
// counted and said in one line ("N lines dropped"), so a flood of bad clients cannot
// flood the log, slow a shard, or grow memory.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

#include "core/bus/spsc_ring.h"

namespace rg::core {

enum class LogLevel : uint8_t { kInfo, kWarn, kError };

struct LogEntry {
  uint64_t unix_ms = 0;
  LogLevel level = LogLevel::kInfo;
  uint16_t shard = 0;     // (--shards goes to 1024)
  char event[31] = {};    // a short name: "cut_off", "auth_failure"
  char detail[213] = {};  // the rest, as text
};
static_assert(sizeof(LogEntry) == 256);

struct LogLimits {
  uint32_t lines_per_s = 20;  // per shard, bursts of `burst`
  uint32_t burst = 200;
};

class ShardLog {
 public:
  ShardLog(unsigned shard, const LogLimits& limits) noexcept : shard_(shard), limits_(limits) {}
  // Shard thread only. `now_ms`: the shard's loop clock. False when dropped.
  bool log(LogLevel level, std::string_view event, std::string_view detail,
           uint64_t now_ms) noexcept;
  // Whether a line would be taken now (when not, it is counted as dropped): lets a caller
  // skip formatting one during a flood.
  bool open(uint64_t now_ms) noexcept;

 private:
  friend class Logger;
  unsigned shard_;
  LogLimits limits_;
  uint64_t tokens_ = 0;  // thousandths of a line
  uint64_t last_ms_ = 0;
  std::atomic<uint64_t> dropped_{0};
  SpscRing<LogEntry, 256> ring_;
};

class Logger {
 public:
  Logger(bool json, unsigned shards, const LogLimits& limits = {});
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  ShardLog& shard(unsigned index) noexcept { return *shards_[index]; }
  // From the main thread (start-up, stop): written at once.
  void write(LogLevel level, std::string_view event, std::string_view detail) noexcept;
  // The writer thread: started once the shards exist, stopped (after a last drain) at exit.
  void start();
  void stop() noexcept;
  bool json() const noexcept { return json_; }

 private:
  void drain() noexcept;
  void print(const LogEntry& entry, bool from_shard) noexcept;
  // `shard` -1: the main thread's.
  void print(uint64_t ms, LogLevel level, int shard, std::string_view event,
             std::string_view detail) noexcept;

  bool json_;
  std::vector<std::unique_ptr<ShardLog>> shards_;
  std::atomic<bool> running_{false};
  std::thread writer_;
};

}  // namespace rg::core
