// A shard on its own thread against loopback: how it starts, stops and connects out.

#include "core/shard.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "core/endpoint.h"
#include "core/uring.h"

namespace rg::core {
namespace {

struct Counts {
  std::atomic<int> opened{0};
  std::atomic<int> failed{0};
  std::atomic<int> last_error{0};
};

class CountingService final : public StreamService {
 public:
  explicit CountingService(Counts& counts) : counts_(counts) {}
  std::unique_ptr<StreamSession> open(Connection&) noexcept override {
    ++counts_.opened;
    return std::make_unique<Quiet>();
  }
  void on_connect_failed(int error) noexcept override {
    counts_.last_error = error;
    ++counts_.failed;
  }

 private:
  struct Quiet final : StreamSession {
    void on_bytes(Connection&, std::span<std::byte>) noexcept override {}
  };
  Counts& counts_;
};

template <class Done>
bool wait_for(Done done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

ShardConfig config(std::atomic<int>& open, int max_connections) {
  ShardConfig c;
  c.ring_entries = 64;
  c.rx_buffers = 16;
  c.open_connections = &open;
  c.max_connections = max_connections;
  c.stop_grace_ms = 100;
  return c;
}

// The io_uring must outlive the buffer rings that unregister through it: the review of
// 043c7f5 found the shard's teardown the other way round (a use after free that ASan
// cannot see inside liburing); Ring's destructor now aborts on it.
TEST(Shard, StartsServesAndStopsWithItsBufferRings) {
  std::atomic<int> open{0};
  Counts counts;
  Endpoint at = Endpoint::resolve("127.0.0.1", 0);
  Shard shard(config(open, 100));
  shard.add_stream_listener(open_listening_socket(at, Transport::kTcp),
                            std::make_unique<CountingService>(counts));
  shard.start().get();
  int client = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(connect(client, reinterpret_cast<const sockaddr*>(&at.address), at.length), 0);
  ASSERT_TRUE(wait_for([&] { return counts.opened == 1; }));
  shard.request_stop();
  shard.join();
  ::close(client);
  EXPECT_EQ(open.load(), 0);
}

// Outbound connections count against --max-connections like accepted ones.
TEST(Shard, OutboundConnectsRespectMaxConnections) {
  std::atomic<int> open{0};
  Counts counts;
  Endpoint to = Endpoint::resolve("127.0.0.1", 0);
  int listener = open_listening_socket(to, Transport::kTcp, 64);  // the kernel completes them
  Shard shard(config(open, 2));
  shard.add_outbound(to, std::make_unique<CountingService>(counts), 5);
  shard.start().get();
  ASSERT_TRUE(wait_for([&] { return counts.opened + counts.failed == 5; }));
  EXPECT_EQ(counts.opened.load(), 2);
  EXPECT_EQ(counts.failed.load(), 3);
  EXPECT_EQ(counts.last_error.load(), EMFILE);
  shard.request_stop();
  shard.join();
  EXPECT_EQ(shard.stats().connect_failed, 3u);
  ::close(listener);
}

// A full submission queue whose submit fails for good must not spin for ever (the review
// found Ring::sqe() ignoring io_uring_submit's result): it stops with a message.
TEST(RingDeathTest, SqeStopsWhenSubmittingCannotMakeRoom) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        Ring ring(8, 0);
        ::close(ring.raw().ring_fd);  // every submit now fails with EBADF
        for (int i = 0; i < 64; ++i) io_uring_prep_nop(ring.sqe());
      },
      "io_uring_submit failed");
}

}  // namespace
}  // namespace rg::core
