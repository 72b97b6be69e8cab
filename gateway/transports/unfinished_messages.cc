#include "gateway/transports/unfinished_messages.h"

#include <algorithm>

#include "core/shard/shard.h"

namespace rg::gateway {

namespace {
// How often the deadline is checked: a quarter of it, within 10 ms and 1 s, so a message
// is cut off at most about a quarter late.
uint64_t sweep_interval_ms(uint32_t timeout_ms) {
  return std::clamp<uint64_t>(timeout_ms / 4, 10, 1000);
}
}  // namespace

UnfinishedMessages::UnfinishedMessages(const UnfinishedLimits& limits) noexcept
    : limits_(limits), sweep_(&UnfinishedMessages::on_sweep, this) {}

UnfinishedMessages::~UnfinishedMessages() {
  while (head_ != nullptr) forget(*head_);
}

void UnfinishedMessages::track(Holder& holder, core::Shard& shard, bool mid_message, bool restarted,
                               size_t held) noexcept {
  if (!mid_message) {
    if (holder.listed_) forget(holder);
    return;
  }
  shard_ = &shard;
  if (!holder.listed_) {
    holder.listed_ = true;
    holder.prev_ = nullptr;
    holder.next_ = head_;
    if (head_ != nullptr) head_->prev_ = &holder;
    head_ = &holder;
    ++listed_;
    holder.started_ms_ = shard.now_ms();
    arm_sweep();
  } else if (restarted) {
    holder.started_ms_ = shard.now_ms();
  }
  held_ = held_ - holder.held_ + held;
  holder.held_ = held;
  stats_.peak_bytes = std::max(stats_.peak_bytes, held_);
  if (held_ > limits_.budget_bytes) enforce_budget();
}

void UnfinishedMessages::forget(Holder& holder) noexcept {
  if (!holder.listed_) return;
  if (holder.prev_ != nullptr) {
    holder.prev_->next_ = holder.next_;
  } else {
    head_ = holder.next_;
  }
  if (holder.next_ != nullptr) holder.next_->prev_ = holder.prev_;
  holder.prev_ = holder.next_ = nullptr;
  holder.listed_ = false;
  held_ -= holder.held_;
  holder.held_ = 0;
  --listed_;
}

void UnfinishedMessages::enforce_budget() noexcept {
  // Rare (only past the budget), so a walk over the unfinished messages is cheap enough;
  // it keeps the common path to a comparison.
  while (held_ > limits_.budget_bytes) {
    Holder* largest = nullptr;
    for (Holder* h = head_; h != nullptr; h = h->next_) {
      if (largest == nullptr || h->held_ > largest->held_) largest = h;
    }
    if (largest == nullptr) return;
    ++stats_.cut_over_budget;
    largest->cut_off_over_budget();  // forgets it (and may destroy it): not touched again
  }
}

void UnfinishedMessages::arm_sweep() noexcept {
  if (limits_.timeout_ms == 0 || sweep_.armed() || shard_ == nullptr) return;
  shard_->timers().schedule(sweep_, shard_->now_ms() + sweep_interval_ms(limits_.timeout_ms));
}

void UnfinishedMessages::on_sweep(void* self) noexcept {
  auto& messages = *static_cast<UnfinishedMessages*>(self);
  uint64_t now = messages.shard_->now_ms();
  for (Holder* h = messages.head_; h != nullptr;) {
    Holder* next = h->next_;  // the cut-off below forgets h, and only h
    if (now - h->started_ms_ >= messages.limits_.timeout_ms) {
      ++messages.stats_.cut_too_slow;
      h->cut_off_too_slow();  // forgets h (and may destroy it)
    }
    h = next;
  }
  if (messages.head_ != nullptr) messages.arm_sweep();
}

}  // namespace rg::gateway
