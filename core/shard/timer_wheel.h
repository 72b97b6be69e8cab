#pragma once
// A hashed timing wheel for idle and handshake timeouts.
//
// Timers are intrusive (the owner embeds a Timer), so arming, re-arming and cancelling are
// O(1) with no allocation. Resolution is one tick (10 ms by default); a timer never fires
// early. A timer further away than one revolution stays in its slot and is skipped until its
// tick comes round. A bitmap of non-empty slots lets the event loop find how long it may
// sleep without scanning the wheel.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace rg::core {

class TimerWheel;

class Timer {
 public:
  using Callback = void (*)(void* owner) noexcept;

  Timer(Callback callback, void* owner) noexcept : callback_(callback), owner_(owner) {}
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  bool armed() const noexcept { return wheel_ != nullptr; }

 private:
  friend class TimerWheel;
  Timer* next_ = nullptr;
  Timer* prev_ = nullptr;
  TimerWheel* wheel_ = nullptr;
  uint64_t deadline_tick_ = 0;
  Callback callback_;
  void* owner_;
};

class TimerWheel {
 public:
  static constexpr uint32_t kSlots = 4096;  // power of two; 40.96 s per turn at 10 ms

  explicit TimerWheel(uint64_t now_ms, uint32_t tick_ms = 10) noexcept;
  ~TimerWheel();
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;

  // Arms (or re-arms) `timer` to fire once at or after `deadline_ms`.
  void schedule(Timer& timer, uint64_t deadline_ms) noexcept;
  void cancel(Timer& timer) noexcept;

  // Fires every timer whose deadline is at or before `now_ms`. Returns how many fired.
  size_t advance(uint64_t now_ms) noexcept;

  // Milliseconds from `now_ms` until the wheel next needs advance(); nullopt when empty.
  std::optional<uint64_t> next_wakeup_in_ms(uint64_t now_ms) const noexcept;

  size_t size() const noexcept { return size_; }

 private:
  void link(Timer& timer) noexcept;
  void unlink(Timer& timer) noexcept;
  void process_slot(uint32_t slot, uint64_t now_tick, size_t& fired) noexcept;

  static constexpr uint32_t kWords = kSlots / 64;
  uint32_t tick_ms_;
  uint64_t current_tick_;  // every tick up to and including this one has been processed
  size_t size_ = 0;
  std::array<Timer*, kSlots> slots_{};
  std::array<uint64_t, kWords> occupied_{};
};

}  // namespace rg::core
