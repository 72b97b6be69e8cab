// Fanout microbenchmarks: one shard's cost of delivering a published message to its local
// members (encode once per wire form, then queue the same bytes to each member), and the
// bus hand-off of messages between two threads in batches.

#include <benchmark/benchmark.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "core/bus/bus.h"
#include "core/bus/mailbox.h"
#include "gateway/rooms/member.h"
#include "gateway/rooms/room_hub.h"

namespace {

using rg::gateway::Member;
using rg::gateway::WireForm;

// A member that takes what it is sent and keeps a reference, as a connection's output
// queue would, then lets go (as a send completion would).
class CountingMember final : public Member {
 public:
  size_t queued_bytes() const noexcept override { return 0; }
  bool send_encoded(const rg::core::BlockRef& block, size_t, size_t length) noexcept override {
    last_ = block;
    bytes_ += length;
    return true;
  }
  void send_reply(WireForm, std::span<const std::byte>) noexcept override {}
  void cut_off_slow() noexcept override {}
  void disconnect() noexcept override {}
  uint64_t bytes_ = 0;

 private:
  rg::core::BlockRef last_;
};

void BM_DeliverToMembers(benchmark::State& state) {
  const int members = static_cast<int>(state.range(0));
  const bool mixed = state.range(1) != 0;  // members spread over the four wire forms
  rg::core::Bus bus(1);
  rg::gateway::HubConfig config;
  config.owner.history = 64;
  rg::core::ShardMailbox mailbox(bus, 0);
  rg::gateway::RoomHub hub(mailbox, config);
  std::vector<CountingMember> list(static_cast<size_t>(members) + 1);
  for (auto& m : list) hub.attach(m);
  rg::proto::Request join;
  join.op = rg::proto::RequestOp::kJoin;
  join.room = "bench";
  for (int i = 0; i < members; ++i) {
    WireForm form = mixed ? static_cast<WireForm>(i % 4) : WireForm::kWsJson;
    hub.handle(list[static_cast<size_t>(i)], form, join);
  }
  mailbox.on_tick();
  rg::proto::Request pub;
  pub.op = rg::proto::RequestOp::kPub;
  pub.room = "bench";
  pub.data = R"({"x":12.5,"y":-3.25,"hp":100,"name":"player-42"})";
  pub.data_is_json = true;
  Member& publisher = list.back();  // not a member of the room
  for (auto _ : state) {
    hub.handle(publisher, WireForm::kWsJson, pub);
    mailbox.on_tick();  // the owner (this shard) numbers it and delivers it
  }
  state.SetItemsProcessed(state.iterations() * members);
  state.counters["deliveries/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * members, benchmark::Counter::kIsRate);
  for (auto& m : list) hub.detach(m);
}
BENCHMARK(BM_DeliverToMembers)->Args({1, 0})->Args({100, 0})->Args({10000, 0})->Args({10000, 1});

// A resuming member's replay: `n` messages from the owner's history (by reference) to the
// member, each framed in its wire form, then the member leaves again.
void BM_ReplayFromHistory(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  const auto form = static_cast<WireForm>(state.range(1));
  rg::core::Bus bus(1);
  rg::gateway::HubConfig config;
  config.owner.history = n;
  config.owner.history_bytes = size_t{1} << 30;
  config.owner.max_replay = n;
  rg::core::ShardMailbox mailbox(bus, 0);
  rg::gateway::RoomHub hub(mailbox, config);
  CountingMember publisher, member;
  hub.attach(publisher);
  hub.attach(member);
  rg::proto::Request pub;
  pub.op = rg::proto::RequestOp::kPub;
  pub.room = "bench";
  pub.data = R"({"x":12.5,"y":-3.25,"hp":100,"name":"player-42"})";
  pub.data_is_json = true;
  for (size_t i = 0; i < n; ++i) hub.handle(publisher, WireForm::kWsJson, pub);
  mailbox.on_tick();
  rg::proto::Request resume;
  resume.op = rg::proto::RequestOp::kJoin;
  resume.room = "bench";
  resume.has_since = true;
  resume.since = 0;
  rg::proto::Request leave;
  leave.op = rg::proto::RequestOp::kLeave;
  leave.room = "bench";
  for (auto _ : state) {
    hub.handle(member, form, resume);
    mailbox.on_tick();  // the owner (this shard) answers; the replay is sent
    hub.handle(member, form, leave);
    mailbox.on_tick();
  }
  if (hub.stats().replayed != n * state.iterations()) state.SkipWithError("replay incomplete");
  state.SetItemsProcessed(static_cast<int64_t>(n) * state.iterations());
  state.counters["replayed/s"] =
      benchmark::Counter(static_cast<double>(n) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
  hub.detach(member);
  hub.detach(publisher);
}
BENCHMARK(BM_ReplayFromHistory)->Args({100, 0})->Args({10000, 0})->Args({10000, 2});

struct Token final : rg::core::BusMessage {};

// Messages handed from one thread's port to another's, flushed in batches of 64 (as a
// shard does once per loop tick), each freed by the receiver.
void BM_BusHandOff(benchmark::State& state) {
  rg::core::Bus bus(2);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> received{0};
  std::thread consumer([&] {
    rg::core::BusPort port(bus, 1);
    while (!stop.load(std::memory_order_relaxed)) {
      port.drain(rg::core::kReplyLane, 512, [&](unsigned, rg::core::BusMessage* m) {
        m->release();
        received.fetch_add(1, std::memory_order_relaxed);
      });
    }
  });
  {
    rg::core::BusPort port(bus, 0);
    uint64_t sent = 0;
    for (auto _ : state) {
      for (int i = 0; i < 64; ++i) port.send(1, rg::core::kReplyLane, new Token);
      port.flush();
      sent += 64;
      while (port.backlog(rg::core::kReplyLane) > 0) port.flush();
    }
    while (received.load() < sent) std::this_thread::yield();
    state.SetItemsProcessed(static_cast<int64_t>(sent));
  }
  stop = true;
  consumer.join();
}
BENCHMARK(BM_BusHandOff)->UseRealTime();

}  // namespace
