#pragma once
// Every connection is a descriptor. Raises RLIMIT_NOFILE as far as this process may: to
// fs.nr_open when it has the privilege (root), else the soft limit to the hard one.
// Returns the limit in force.

#include <cstdint>

namespace rg::core {
uint64_t raise_descriptor_limit() noexcept;
}
