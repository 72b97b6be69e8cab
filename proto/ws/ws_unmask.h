#pragma once
// WebSocket payload unmasking (RFC 6455 5.3), in place.
//
// The best implementation this CPU has (AVX-512, AVX2, SSE2, or 8 bytes at a time) is
// picked once at start-up; all of them are exposed so tests can hold them against the
// scalar one.

#include <cstddef>
#include <cstdint>

namespace rg::proto {

enum class UnmaskImpl { kScalar, kSse2, kAvx2, kAvx512 };

// XORs `size` bytes at `data` with `mask` (the 4 mask bytes as they appear on the wire),
// starting `phase` bytes into the mask (the payload offset of `data`, modulo 4).
void unmask(std::byte* data, size_t size, const std::byte mask[4], size_t phase) noexcept;

void unmask_with(UnmaskImpl impl, std::byte* data, size_t size, const std::byte mask[4],
                 size_t phase) noexcept;
bool unmask_supported(UnmaskImpl impl) noexcept;
UnmaskImpl unmask_best() noexcept;
const char* unmask_name(UnmaskImpl impl) noexcept;

}  // namespace rg::proto
