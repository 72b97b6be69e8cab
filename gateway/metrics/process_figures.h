#pragma once
// The process' own figures, as Prometheus' standard process_* metrics name them: read
// from /proc/self at scrape time (Linux only, like the rest of ringgate).

#include <cstdint>

namespace rg::gateway {

struct ProcessFigures {
  double cpu_seconds = 0;  // user + system
  uint64_t resident_bytes = 0;
  uint64_t virtual_bytes = 0;
  uint64_t open_fds = 0;
  uint64_t max_fds = 0;           // the soft RLIMIT_NOFILE
  double start_time_seconds = 0;  // since the Unix epoch
  uint64_t threads = 0;
};

// Fields it could not read stay 0. Allocates (at scrape time, never on the data path).
ProcessFigures read_process_figures();

}  // namespace rg::gateway
