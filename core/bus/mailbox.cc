#include "core/bus/mailbox.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace rg::core {

ShardMailbox::ShardMailbox(Bus& bus, unsigned shard) : port_(bus, shard) {}

void ShardMailbox::subscribe(uint8_t topic, Handler handler, void* context) noexcept {
  topics_[topic % kTopics] = Subscription{handler, context};
}

void ShardMailbox::add_service(Service& service) {
  services_.push_back(&service);
}

void ShardMailbox::dispatch(unsigned from, unsigned lane, BusMessage* message) noexcept {
  const Subscription& to = topics_[message->topic() % kTopics];
  if (to.handler == nullptr) {
    // Every shard subscribes the same topics before any starts: a message of an unknown
    // topic is a programming error, not a peer's.
    std::fprintf(stderr, "ringgate: a bus message of topic %u has no handler\n",
                 unsigned{message->topic()});
    std::abort();
  }
  to.handler(to.context, from, lane, message);
}

void ShardMailbox::on_tick() noexcept {
  more_ = port_.drain(kReplyLane, kDrainBudget,
                      [this](unsigned from, BusMessage* m) { dispatch(from, kReplyLane, m); });
  throttled_ = port_.backlog(kReplyLane) > kReplyBacklogLimit;
  if (!throttled_) {
    more_ |= port_.drain(kRequestLane, kDrainBudget,
                         [this](unsigned from, BusMessage* m) { dispatch(from, kRequestLane, m); });
  }
  for (Service* service : services_) service->on_tick();
  port_.flush();
}

uint64_t ShardMailbox::prepare_to_sleep() noexcept {
  if (more_) return 0;
  uint64_t limit = kSleepUnbounded;
  for (Service* service : services_) limit = std::min(limit, service->sleep_limit_ms());
  if (limit == 0) return 0;
  if (port_.backlog(kRequestLane) > 0 || port_.backlog(kReplyLane) > 0) {
    return 1;  // waiting for room in another shard's ring: look again shortly
  }
  // Last, since it raises the sleeping flag: nothing after it may decide not to sleep.
  return port_.prepare_to_sleep(!throttled_) ? limit : 0;
}

bool ShardMailbox::idle() const noexcept {
  if (more_ || port_.backlog(kRequestLane) > 0 || port_.backlog(kReplyLane) > 0) return false;
  for (const Service* service : services_) {
    if (!service->idle()) return false;
  }
  return true;
}

bool ShardMailbox::take_activity() noexcept {
  bool any = false;
  for (Service* service : services_) any |= service->take_activity();
  return any;
}

}  // namespace rg::core
