#include "core/shard/timer_wheel.h"

#include <bit>

namespace rg::core {

Timer::~Timer() {
  if (wheel_ != nullptr) wheel_->cancel(*this);
}

TimerWheel::TimerWheel(uint64_t now_ms, uint32_t tick_ms) noexcept
    : tick_ms_(tick_ms == 0 ? 1 : tick_ms), current_tick_(now_ms / tick_ms_) {}

TimerWheel::~TimerWheel() {
  for (Timer*& head : slots_) {
    while (head != nullptr) {
      Timer* t = head;
      head = t->next_;
      t->wheel_ = nullptr;
      t->next_ = t->prev_ = nullptr;
    }
  }
}

void TimerWheel::schedule(Timer& timer, uint64_t deadline_ms) noexcept {
  if (timer.wheel_ != nullptr) unlink(timer);
  // Round up: a timer must never fire before its deadline.
  uint64_t tick = (deadline_ms + tick_ms_ - 1) / tick_ms_;
  if (tick <= current_tick_) tick = current_tick_ + 1;
  timer.deadline_tick_ = tick;
  link(timer);
}

void TimerWheel::cancel(Timer& timer) noexcept {
  if (timer.wheel_ == this) unlink(timer);
}

void TimerWheel::link(Timer& timer) noexcept {
  uint32_t slot = static_cast<uint32_t>(timer.deadline_tick_ & (kSlots - 1));
  timer.prev_ = nullptr;
  timer.next_ = slots_[slot];
  if (timer.next_ != nullptr) timer.next_->prev_ = &timer;
  slots_[slot] = &timer;
  occupied_[slot / 64] |= uint64_t{1} << (slot % 64);
  timer.wheel_ = this;
  ++size_;
}

void TimerWheel::unlink(Timer& timer) noexcept {
  uint32_t slot = static_cast<uint32_t>(timer.deadline_tick_ & (kSlots - 1));
  if (timer.prev_ != nullptr) {
    timer.prev_->next_ = timer.next_;
  } else {
    slots_[slot] = timer.next_;
    if (timer.next_ == nullptr) occupied_[slot / 64] &= ~(uint64_t{1} << (slot % 64));
  }
  if (timer.next_ != nullptr) timer.next_->prev_ = timer.prev_;
  timer.next_ = timer.prev_ = nullptr;
  timer.wheel_ = nullptr;
  --size_;
}

void TimerWheel::process_slot(uint32_t slot, uint64_t now_tick, size_t& fired) noexcept {
  // A callback may cancel, re-arm or destroy any timer, the next one in this slot included,
  // or schedule new ones (never due this tick: schedule() rounds up past current_tick_).
  // So the walk keeps its place with a cursor linked into the slot itself: whatever the
  // callback unlinks around it, cursor.next_ is always the next timer still to look at.
  Timer cursor(nullptr, nullptr);
  cursor.deadline_tick_ = slot;  // same slot as every timer in it
  link(cursor);
  while (Timer* t = cursor.next_) {
    if (t->deadline_tick_ <= now_tick) {
      unlink(*t);
      ++fired;
      t->callback_(t->owner_);
    } else {
      // A later revolution: step the cursor over it.
      unlink(cursor);
      cursor.prev_ = t;
      cursor.next_ = t->next_;
      if (t->next_ != nullptr) t->next_->prev_ = &cursor;
      t->next_ = &cursor;
      cursor.wheel_ = this;
      ++size_;
    }
  }
  unlink(cursor);
}

size_t TimerWheel::advance(uint64_t now_ms) noexcept {
  uint64_t now_tick = now_ms / tick_ms_;
  size_t fired = 0;
  if (now_tick <= current_tick_) return 0;
  if (now_tick - current_tick_ >= kSlots) {
    // Slept for more than a revolution: every slot may hold something due.
    current_tick_ = now_tick;
    for (uint32_t slot = 0; slot < kSlots; ++slot) {
      if (slots_[slot] != nullptr) process_slot(slot, now_tick, fired);
    }
    return fired;
  }
  while (current_tick_ < now_tick) {
    ++current_tick_;
    uint32_t slot = static_cast<uint32_t>(current_tick_ & (kSlots - 1));
    if (slots_[slot] != nullptr) process_slot(slot, current_tick_, fired);
  }
  return fired;
}

std::optional<uint64_t> TimerWheel::next_wakeup_in_ms(uint64_t now_ms) const noexcept {
  if (size_ == 0) return std::nullopt;
  // Find the first occupied slot after current_tick_, walking the bitmap word by word.
  uint32_t start = static_cast<uint32_t>((current_tick_ + 1) & (kSlots - 1));
  for (uint32_t step = 0; step <= kWords; ++step) {
    uint32_t word_index = (start / 64 + step) % kWords;
    uint64_t word = occupied_[word_index];
    if (step == 0) word &= ~uint64_t{0} << (start % 64);
    if (step == kWords) word &= (uint64_t{1} << (start % 64)) - 1;  // wrapped round
    if (word == 0) continue;
    uint32_t slot = word_index * 64 + static_cast<uint32_t>(std::countr_zero(word));
    uint64_t ahead = (slot - start + kSlots) % kSlots + 1;
    uint64_t due_ms = (current_tick_ + ahead) * tick_ms_;
    return due_ms > now_ms ? due_ms - now_ms : 0;
  }
  return 0;
}

}  // namespace rg::core
