#pragma once
// Facts about the machine and processes that the gateway, the bench and the tests share.

#include <signal.h>
#include <sys/types.h>

#include <vector>

namespace rg::core {

// The CPUs this process may run on (its affinity mask), in order; never empty.
std::vector<int> allowed_cpus();

// Resident memory of process `pid` in KiB (VmRSS), or -1 if unknown.
long resident_kib(pid_t pid);

// Blocks SIGINT and SIGTERM on the calling thread (threads started later inherit the mask)
// and ignores SIGPIPE; returns the set, for the main thread to wait on. Call before
// starting the shards, so that only the caller ever takes the stop signals.
sigset_t block_stop_signals();

}  // namespace rg::core
