#include "core/bus/bus.h"

#include "core/shard/shard.h"

namespace rg::core {

Bus::Bus(unsigned shards) : shards_(shards), slots_(new Slot[shards]) {
  rings_.resize(static_cast<size_t>(shards) * shards * kBusLanes);
  for (unsigned from = 0; from < shards; ++from) {
    for (unsigned to = 0; to < shards; ++to) {
      if (from == to) continue;
      for (unsigned lane = 0; lane < kBusLanes; ++lane) {
        rings_[(static_cast<size_t>(from) * shards + to) * kBusLanes + lane] =
            std::make_unique<BusRing>();
      }
    }
  }
}

Bus::~Bus() = default;

bool Bus::looks_empty() const noexcept {
  for (const auto& ring : rings_) {
    if (ring && !ring->empty()) return false;
  }
  return true;
}

void Bus::wake(unsigned shard) noexcept {
  if (slots_[shard].shard != nullptr) slots_[shard].shard->wake();
}

BusPort::BusPort(Bus& bus, unsigned self)
    : bus_(bus), self_(self), backlog_(bus.shards()), pushed_(bus.shards(), 0) {}

BusPort::~BusPort() {
  for (auto& lanes : backlog_) {
    for (auto& queue : lanes) {
      for (BusMessage* message : queue) message->release();
    }
  }
  for (unsigned lane = 0; lane < kBusLanes; ++lane) {
    drain(lane, ~size_t{0}, [](unsigned, BusMessage* message) { message->release(); });
  }
}

void BusPort::send(unsigned to, unsigned lane, BusMessage* message) noexcept {
  std::deque<BusMessage*>& queue = backlog_[to][lane];
  if (queue.empty() && bus_.ring(self_, to, lane).try_push(message)) {
    pushed_[to] = 1;
    return;
  }
  queue.push_back(message);
  ++backlog_size_[lane];
}

void BusPort::flush() noexcept {
  for (unsigned to = 0; to < bus_.shards(); ++to) {
    for (unsigned lane = 0; lane < kBusLanes; ++lane) {
      std::deque<BusMessage*>& queue = backlog_[to][lane];
      if (queue.empty()) continue;
      BusRing& ring = bus_.ring(self_, to, lane);
      while (!queue.empty() && ring.try_push(queue.front())) {
        queue.pop_front();
        --backlog_size_[lane];
        pushed_[to] = 1;
      }
    }
  }
  // Pairs with the fence in prepare_to_sleep(): either the sleeper sees our pushes, or we
  // see its flag.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  for (unsigned to = 0; to < bus_.shards(); ++to) {
    if (!pushed_[to]) continue;
    pushed_[to] = 0;
    std::atomic<bool>& sleeping = bus_.sleeping(to);
    if (sleeping.load(std::memory_order_relaxed) &&
        sleeping.exchange(false, std::memory_order_acq_rel)) {
      bus_.wake(to);
    }
  }
}

bool BusPort::inbound_waiting(bool requests_too) noexcept {
  for (unsigned from = 0; from < bus_.shards(); ++from) {
    if (from == self_) continue;
    for (unsigned lane = requests_too ? 0 : kReplyLane; lane < kBusLanes; ++lane) {
      if (!bus_.ring(from, self_, lane).empty()) return true;
    }
  }
  return false;
}

bool BusPort::prepare_to_sleep(bool requests_too) noexcept {
  std::atomic<bool>& sleeping = bus_.sleeping(self_);
  sleeping.store(true, std::memory_order_seq_cst);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (inbound_waiting(requests_too)) {
    sleeping.store(false, std::memory_order_relaxed);
    return false;
  }
  return true;
}

void BusPort::on_woken() noexcept {
  bus_.sleeping(self_).store(false, std::memory_order_relaxed);
}

}  // namespace rg::core
