#include "proto/ws/ws_unmask.h"

#include <immintrin.h>

#include <cstring>
#include <initializer_list>

namespace rg::proto {

namespace {

// The mask as a little-endian word, rotated so its lowest byte applies to data[0].
uint32_t rotated_mask(const std::byte mask[4], size_t phase) noexcept {
  uint32_t m;
  std::memcpy(&m, mask, 4);
  unsigned shift = static_cast<unsigned>(phase & 3) * 8;
  return shift == 0 ? m : (m >> shift) | (m << (32 - shift));
}

// Finishes with 8-byte words and then single bytes; `m` must be aligned to `data`.
void unmask_tail(std::byte* data, size_t size, uint32_t m) noexcept {
  uint64_t m64 = uint64_t{m} | (uint64_t{m} << 32);
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t v;
    std::memcpy(&v, data + i, 8);
    v ^= m64;
    std::memcpy(data + i, &v, 8);
  }
  for (; i < size; ++i) {
    data[i] ^= static_cast<std::byte>(m >> (8 * (i & 3)));
  }
}

void unmask_scalar(std::byte* data, size_t size, uint32_t m) noexcept {
  unmask_tail(data, size, m);
}

void unmask_sse2(std::byte* data, size_t size, uint32_t m) noexcept {
  __m128i k = _mm_set1_epi32(static_cast<int>(m));
  size_t i = 0;
  for (; i + 16 <= size; i += 16) {
    auto* p = reinterpret_cast<__m128i*>(data + i);
    _mm_storeu_si128(p, _mm_xor_si128(_mm_loadu_si128(p), k));
  }
  unmask_tail(data + i, size - i, m);  // i is a multiple of 4: the mask phase is unchanged
}

__attribute__((target("avx2"))) void unmask_avx2(std::byte* data, size_t size,
                                                 uint32_t m) noexcept {
  __m256i k = _mm256_set1_epi32(static_cast<int>(m));
  size_t i = 0;
  for (; i + 64 <= size; i += 64) {
    auto* p = reinterpret_cast<__m256i*>(data + i);
    _mm256_storeu_si256(p, _mm256_xor_si256(_mm256_loadu_si256(p), k));
    _mm256_storeu_si256(p + 1, _mm256_xor_si256(_mm256_loadu_si256(p + 1), k));
  }
  for (; i + 32 <= size; i += 32) {
    auto* p = reinterpret_cast<__m256i*>(data + i);
    _mm256_storeu_si256(p, _mm256_xor_si256(_mm256_loadu_si256(p), k));
  }
  unmask_sse2(data + i, size - i, m);
}

__attribute__((target("avx512f"))) void unmask_avx512(std::byte* data, size_t size,
                                                      uint32_t m) noexcept {
  __m512i k = _mm512_set1_epi32(static_cast<int>(m));
  size_t i = 0;
  for (; i + 64 <= size; i += 64) {
    void* p = data + i;
    _mm512_storeu_si512(p, _mm512_xor_si512(_mm512_loadu_si512(p), k));
  }
  unmask_avx2(data + i, size - i, m);
}

using UnmaskFn = void (*)(std::byte*, size_t, uint32_t) noexcept;

UnmaskFn function_for(UnmaskImpl impl) noexcept {
  switch (impl) {
    case UnmaskImpl::kAvx512:
      return unmask_avx512;
    case UnmaskImpl::kAvx2:
      return unmask_avx2;
    case UnmaskImpl::kSse2:
      return unmask_sse2;
    case UnmaskImpl::kScalar:
      break;
  }
  return unmask_scalar;
}

}  // namespace

bool unmask_supported(UnmaskImpl impl) noexcept {
  __builtin_cpu_init();
  switch (impl) {
    case UnmaskImpl::kAvx512:
      return __builtin_cpu_supports("avx512f");
    case UnmaskImpl::kAvx2:
      return __builtin_cpu_supports("avx2");
    case UnmaskImpl::kSse2:
      return __builtin_cpu_supports("sse2");
    case UnmaskImpl::kScalar:
      return true;
  }
  return false;
}

UnmaskImpl unmask_best() noexcept {
  for (UnmaskImpl impl : {UnmaskImpl::kAvx512, UnmaskImpl::kAvx2, UnmaskImpl::kSse2}) {
    if (unmask_supported(impl)) return impl;
  }
  return UnmaskImpl::kScalar;
}

const char* unmask_name(UnmaskImpl impl) noexcept {
  switch (impl) {
    case UnmaskImpl::kAvx512:
      return "avx512";
    case UnmaskImpl::kAvx2:
      return "avx2";
    case UnmaskImpl::kSse2:
      return "sse2";
    case UnmaskImpl::kScalar:
      break;
  }
  return "scalar";
}

void unmask_with(UnmaskImpl impl, std::byte* data, size_t size, const std::byte mask[4],
                 size_t phase) noexcept {
  function_for(impl)(data, size, rotated_mask(mask, phase));
}

void unmask(std::byte* data, size_t size, const std::byte mask[4], size_t phase) noexcept {
  // Chosen once, then read-only: the same for every shard.
  static const UnmaskFn best = function_for(unmask_best());
  best(data, size, rotated_mask(mask, phase));
}

}  // namespace rg::proto
