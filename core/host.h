#pragma once
// Facts about the machine and processes that the gateway, the bench and the tests share.

#include <sys/types.h>

#include <vector>

namespace rg::core {

// The CPUs this process may run on (its affinity mask), in order; never empty.
std::vector<int> allowed_cpus();

// Resident memory of process `pid` in KiB (VmRSS), or -1 if unknown.
long resident_kib(pid_t pid);

}  // namespace rg::core
