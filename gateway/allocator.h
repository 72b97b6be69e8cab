#pragma once
// Which allocator serves malloc in this process: "mimalloc" in normal builds (linked in,
// replacing malloc for everything, libraries included), the sanitizer's otherwise.

namespace rg::gateway {
const char* allocator_name() noexcept;
// Gives the calling thread's free memory back to the system (mimalloc: mi_collect(true),
// which frees its empty pages and segments; nothing under a sanitizer's allocator). For a
// shard that has gone quiet: RSS falls with the load.
void release_free_memory() noexcept;
}  // namespace rg::gateway
