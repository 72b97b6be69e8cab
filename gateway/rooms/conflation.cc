#include "gateway/rooms/conflation.h"

namespace rg::gateway {

ConflationQueue::~ConflationQueue() {
  for (Entry& e : entries_) {
    if (e.message != nullptr) e.message->release();
  }
}

std::string ConflationQueue::key_of(const RoomMessage& message) {
  std::string key(message.room());
  key += '\0';
  key += message.ckey();
  return key;
}

ConflationQueue::Push ConflationQueue::push(const RoomMessage& message) {
  Push result = Push::kQueued;
  if (message.ckey().empty()) {
    if (unkeyed_bytes_ + message.footprint() > max_unkeyed_bytes_) return Push::kFull;
    unkeyed_bytes_ += message.footprint();
  } else {
    std::string key = key_of(message);
    auto it = keyed_.find(key);
    if (it != keyed_.end()) {
      Entry& older = entries_[it->second - first_];
      older.message->release();
      older.message = nullptr;
      --live_;
      ++replaced_[std::string(message.room())];
      result = Push::kReplaced;
      it->second = first_ + entries_.size();
    } else {
      if (keyed_.size() >= max_keyed_) return Push::kFull;
      keyed_.emplace(std::move(key), first_ + entries_.size());
    }
  }
  auto& shared = const_cast<RoomMessage&>(message);  // a reference is not a change
  shared.retain();
  entries_.push_back({&shared});
  ++live_;
  return result;
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
  auto it = replaced_.find(std::string(room));
  if (it == replaced_.end()) return 0;
  uint64_t n = it->second;
  replaced_.erase(it);
  return n;
}

}  // namespace rg::gateway
