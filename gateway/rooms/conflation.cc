#include "gateway/rooms/conflation.h"

namespace rg::gateway {

ConflationQueue::~ConflationQueue() {
  for (Entry& e : entries_) {
    if (e.message != nullptr) e.message->release();
  }
}

ConflationQueue::Push ConflationQueue::push(const RoomMessage& message) {
  Push result = Push::kQueued;
  uint64_t position = first_ + entries_.size();
  if (message.ckey().empty()) {
    if (unkeyed_bytes_ + message.footprint() > max_unkeyed_bytes_) return Push::kFull;
    unkeyed_bytes_ += message.footprint();
  } else if (auto it = keyed_.find(key_of(message)); it != keyed_.end()) {
    Entry& older = entries_[it->second - first_];
    // The map's key views the older message's bytes: re-point it before the older goes.
    auto node = keyed_.extract(it);
    node.key() = key_of(message);
    node.mapped() = position;
    keyed_.insert(std::move(node));
    older.message->release();
    older.message = nullptr;
    --live_;
    auto told = replaced_.find(message.room());
    if (told == replaced_.end()) told = replaced_.emplace(message.room(), 0).first;
    ++told->second;
    result = Push::kReplaced;
  } else {
    if (keyed_.size() >= max_keyed_) return Push::kFull;
    keyed_.emplace(key_of(message), position);
  }
  auto& shared = const_cast<RoomMessage&>(message);  // a reference is not a change
  shared.retain();
  entries_.push_back({&shared});
  ++live_;
  if (entries_.size() > 2 * live_ + 64) compact();  // only replacements leave empty slots
  return result;
}

void ConflationQueue::compact() {
  size_t kept = 0;
  for (Entry& e : entries_) {
    if (e.message == nullptr) continue;
    if (!e.message->ckey().empty()) keyed_.find(key_of(*e.message))->second = first_ + kept;
    entries_[kept++] = e;
  }
  entries_.resize(kept);
}

const RoomMessage* ConflationQueue::front() noexcept {
  while (!entries_.empty() && entries_.front().message == nullptr) {
    entries_.pop_front();
    ++first_;
  }
  return entries_.empty() ? nullptr : entries_.front().message;
}

void ConflationQueue::pop() noexcept {
  if (front() == nullptr) return;
  RoomMessage* message = entries_.front().message;
  if (message->ckey().empty()) {
    unkeyed_bytes_ -= message->footprint();
  } else {
    keyed_.erase(key_of(*message));
  }
  message->release();
  entries_.pop_front();
  ++first_;
  --live_;
}

uint64_t ConflationQueue::take_replaced(std::string_view room) noexcept {
  auto it = replaced_.find(room);
  if (it == replaced_.end()) return 0;
  uint64_t n = it->second;
  replaced_.erase(it);
  return n;
}

}  // namespace rg::gateway
