#include "gateway/admission/token_cache.h"

namespace rg::gateway {

TokenCache::TokenCache(const proto::JwtConfig& config, size_t capacity)
    : verifier_(config), capacity_(capacity) {}

TokenCache::Verdict TokenCache::check(std::string_view token, int64_t now_s) {
  Verdict verdict;
  if (auto it = cache_.find(token); it != cache_.end()) {
    const proto::JwtClaims& claims = *it->second;
    if (claims.exp == 0 || now_s <= claims.exp) {
      ++hits_;
      verdict.claims = it->second;
      return verdict;
    }
    cache_.erase(it);  // expired: verified again below, which says so
  }
  ++verified_;
  proto::JwtClaims claims;
  verdict.error = verifier_.verify(token, now_s, claims);
  if (verdict.error != proto::JwtError::kNone) return verdict;
  verdict.claims = std::make_shared<const proto::JwtClaims>(std::move(claims));
  if (capacity_ == 0) return verdict;
  while (cache_.size() >= capacity_ && !order_.empty()) {
    cache_.erase(order_.front());
    order_.pop_front();
  }
  if (order_.size() >= 2 * capacity_) {  // stale keys (erased on expiry) pile up: rebuild
    std::deque<std::string> live;
    for (std::string& key : order_) {
      if (cache_.contains(key)) live.push_back(std::move(key));
    }
    order_ = std::move(live);
  }
  auto [it, inserted] = cache_.emplace(std::string(token), verdict.claims);
  if (inserted) order_.push_back(it->first);
  return verdict;
}

}  // namespace rg::gateway
