#include "gateway/metrics/process_figures.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <ctime>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace rg::gateway {

namespace {

// A /proc file, whole (at most 1 MiB: /proc/stat's interrupt line grows with the CPUs).
std::string read_proc_file(const char* path) {
  std::string text;
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char chunk[4096];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n <= 0 || text.size() > (1u << 20)) break;
    text.append(chunk, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

// Seconds since the epoch at which the machine booted (/proc/stat's btime).
uint64_t boot_time_seconds() {
  std::string text = read_proc_file("/proc/stat");
  size_t at = text.find("\nbtime ");
  return at != std::string::npos ? std::strtoull(text.c_str() + at + 7, nullptr, 10) : 0;
}

uint64_t count_open_fds() noexcept {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  uint64_t n = 0;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++n;
  }
  ::closedir(dir);
  return n > 0 ? n - 1 : 0;  // not the directory's own descriptor
}

}  // namespace

ProcessFigures read_process_figures() {
  ProcessFigures figures;
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const auto page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  std::string stat = read_proc_file("/proc/self/stat");
  if (!stat.empty()) {
    // The command name may hold spaces and parentheses: fields count from the last ')'.
    if (const char* p = std::strrchr(stat.c_str(), ')')) {
      // Field 3 (state) follows; utime and stime are fields 14 and 15, num_threads 20,
      // starttime 22, vsize 23, rss 24.
      unsigned long long values[24] = {};
      const char* cursor = p + 2;
      for (int field = 3; field <= 24 && *cursor != '\0'; ++field) {
        if (field > 3) values[field - 1] = std::strtoull(cursor, nullptr, 10);
        const char* space = std::strchr(cursor, ' ');
        if (space == nullptr) break;
        cursor = space + 1;
      }
      if (ticks > 0) {
        figures.cpu_seconds = static_cast<double>(values[13] + values[14]) / ticks;
        figures.start_time_seconds =
            static_cast<double>(boot_time_seconds()) + static_cast<double>(values[21]) / ticks;
      }
      figures.threads = values[19];
      figures.virtual_bytes = values[22];
      figures.resident_bytes = values[23] * page;
    }
  }
  // The process' CPU time to the nanosecond (every thread): /proc's ticks miss the short
  // bursts of a mostly idle gateway and can say 0 after seconds of work.
  timespec cpu{};
  if (::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu) == 0) {
    figures.cpu_seconds = static_cast<double>(cpu.tv_sec) + static_cast<double>(cpu.tv_nsec) / 1e9;
  }
  figures.open_fds = count_open_fds();
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) figures.max_fds = limit.rlim_cur;
  return figures;
}

}  // namespace rg::gateway
