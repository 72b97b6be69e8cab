#include "gateway/allocator.h"

#include <cstdlib>

#ifdef RG_USE_MIMALLOC
#include <mimalloc.h>
#endif

namespace rg::gateway {

const char* allocator_name() noexcept {
#ifdef RG_USE_MIMALLOC
  // Ask mimalloc whether it owns what the C library's calloc returns: true only if it really
  // replaced the C library's allocator.
  void* p = std::calloc(1, 64);
  bool ours = mi_is_in_heap_region(p);
  std::free(p);
  return ours ? "mimalloc" : "system (mimalloc linked but not in use)";
#else
  return "system";
#endif
}

void release_free_memory() noexcept {
#ifdef RG_USE_MIMALLOC
  mi_collect(true);
#endif
  // Without mimalloc (the sanitizer builds), malloc is the sanitizer's: glibc's
  // malloc_trim() would touch arenas this thread never attached to (and abort at its exit).
}

}  // namespace rg::gateway
