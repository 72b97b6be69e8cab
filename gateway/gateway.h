#pragma once
// Starting and stopping the whole gateway: probe io_uring, open the listeners, start one
// shard per CPU, print the start-up line, wait for SIGINT/SIGTERM, stop.

#include "gateway/options.h"

namespace rg::gateway {

// Returns the process exit code. Start-up failures throw std::exception with a message
// meant for the operator.
int run_gateway(const Options& options);

}  // namespace rg::gateway
