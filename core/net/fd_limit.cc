#include "core/net/fd_limit.h"

#include <sys/resource.h>

#include <fstream>

namespace rg::core {

uint64_t raise_descriptor_limit() noexcept {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  uint64_t nr_open = 0;
  std::ifstream("/proc/sys/fs/nr_open") >> nr_open;
  if (nr_open > limit.rlim_max) {
    rlimit wanted{nr_open, nr_open};
    if (setrlimit(RLIMIT_NOFILE, &wanted) == 0) return nr_open;
  }
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  getrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
}

}  // namespace rg::core
