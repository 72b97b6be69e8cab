#pragma once
// Which allocator serves malloc in this process: "mimalloc" in normal builds (linked in,
// replacing malloc for everything, libraries included), the sanitizer's otherwise.

namespace rg::gateway {
const char* allocator_name() noexcept;
}
