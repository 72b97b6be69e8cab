#include "core/io/fixed_files.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

#include "core/io/uring.h"
#include "core/io/user_data.h"

namespace rg::core {
namespace {

class FixedFileTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!probe_io_uring().fixed_files) GTEST_SKIP() << "no registered file table on this kernel";
    ring_ = std::make_unique<Ring>(64, 0);
    table_ = std::make_unique<FixedFileTable>(*ring_, 4);
    ASSERT_TRUE(table_->ok()) << table_->error();
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_), 0);
  }
  void TearDown() override {
    if (fds_[0] >= 0) ::close(fds_[0]);
    if (fds_[1] >= 0) ::close(fds_[1]);
    table_.reset();
    ring_.reset();
  }
  // A recv into `buffer` from table entry `slot`; returns its result.
  int recv_from_slot(uint32_t slot, char* buffer, size_t size) {
    io_uring_sqe* sqe = ring_->sqe();
    io_uring_prep_recv(sqe, -1, buffer, size, 0);
    FixedFileTable::target(sqe, slot);
    io_uring_sqe_set_data64(sqe, UserData{Op::kRecv, 0, slot}.pack());
    return submit_and_find(Op::kRecv);
  }
  // Submits what is queued and returns the result of the first completion of kind `op`
  // (the table's own updates must all succeed on the way).
  int submit_and_find(Op op) {
    EXPECT_GE(io_uring_submit(&ring_->raw()), 0);
    for (;;) {
      io_uring_cqe* cqe = nullptr;
      EXPECT_EQ(io_uring_wait_cqe(&ring_->raw(), &cqe), 0);
      UserData ud = UserData::unpack(io_uring_cqe_get_data64(cqe));
      int res = cqe->res;
      io_uring_cqe_seen(&ring_->raw(), cqe);
      if (ud.op == op) return res;
      EXPECT_EQ(ud.op, Op::kFilesUpdate);
      EXPECT_EQ(res, 1) << "an update of entry " << ud.index << " failed";
    }
  }
  // Whether the socket at the other end of `fd` is really closed: `fd` reads EOF. The
  // table's updates are submitted (and their completions checked) first.
  bool peer_closed(int fd) {
    EXPECT_GE(io_uring_submit(&ring_->raw()), 0);
    io_uring_cqe* cqe = nullptr;
    while (io_uring_peek_cqe(&ring_->raw(), &cqe) == 0) {
      EXPECT_EQ(cqe->res, 1);
      io_uring_cqe_seen(&ring_->raw(), cqe);
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 1000) != 1) return false;
    char c;
    return ::recv(fd, &c, 1, MSG_DONTWAIT) == 0;
  }

  std::unique_ptr<Ring> ring_;
  std::unique_ptr<FixedFileTable> table_;
  int fds_[2] = {-1, -1};
};

TEST_F(FixedFileTableTest, AnInstalledEntryIsUsableByTheNextRequestQueued) {
  ASSERT_TRUE(table_->install(2, fds_[1]));
  ASSERT_EQ(::write(fds_[0], "abc", 3), 3);
  char buffer[8] = {};
  // Queued behind the update in the same submission: the kernel issues them in order.
  ASSERT_EQ(recv_from_slot(2, buffer, sizeof buffer), 3);
  EXPECT_EQ(std::string(buffer, 3), "abc");
}

TEST_F(FixedFileTableTest, ASlotPastTheTableIsRefusedAndNothingIsQueued) {
  EXPECT_FALSE(table_->install(4, fds_[1]));
  EXPECT_EQ(io_uring_sq_ready(&ring_->raw()), 0u);
  FixedFileTable off(*ring_, 0);
  EXPECT_FALSE(off.ok());
  EXPECT_FALSE(off.install(0, fds_[1]));
}

TEST_F(FixedFileTableTest, RemovingTheEntryLetsCloseReallyCloseTheSocket) {
  ASSERT_TRUE(table_->install(1, fds_[1]));
  char buffer[8];
  ASSERT_EQ(::write(fds_[0], "x", 1), 1);
  ASSERT_EQ(recv_from_slot(1, buffer, sizeof buffer), 1);
  // close(2) alone leaves the table's reference: the socket stays open.
  ::close(fds_[1]);
  fds_[1] = -1;
  pollfd p{fds_[0], POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 100), 0) << "the socket closed while its entry still named it";
  table_->remove(1);
  EXPECT_EQ(recv_from_slot(1, buffer, sizeof buffer), -EBADF);
  EXPECT_TRUE(peer_closed(fds_[0]));
}

TEST_F(FixedFileTableTest, InstallAndRemoveBeforeSubmissionLeaveTheEntryEmpty) {
  // The socket is closed (and its number free for anyone) before the kernel issues either
  // update: both must read the emptied entry, never the stale number.
  ASSERT_TRUE(table_->install(3, fds_[1]));
  table_->remove(3);
  ::close(fds_[1]);
  fds_[1] = -1;
  char buffer[8];
  EXPECT_EQ(recv_from_slot(3, buffer, sizeof buffer), -EBADF);
  EXPECT_TRUE(peer_closed(fds_[0]));
}

TEST_F(FixedFileTableTest, AReusedSlotNamesItsNewSocket) {
  int other[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, other), 0);
  ASSERT_TRUE(table_->install(0, fds_[1]));
  table_->remove(0);
  ASSERT_TRUE(table_->install(0, other[1]));
  ASSERT_EQ(::write(other[0], "new", 3), 3);
  ASSERT_EQ(::write(fds_[0], "old", 3), 3);
  char buffer[8] = {};
  ASSERT_EQ(recv_from_slot(0, buffer, sizeof buffer), 3);
  EXPECT_EQ(std::string(buffer, 3), "new");
  table_->remove(0);
  ::close(other[1]);
  EXPECT_TRUE(peer_closed(other[0]));
  ::close(other[0]);
}

// Kernels before 6.13 (Debian 12's 6.1 among them) free removed entries' files in order,
// behind the oldest request still running: the table is used only from 6.13.
TEST(FixedFileKernels, OnlyKernelsThatFreeRemovedFilesPromptlyUseTheTable) {
  EXPECT_FALSE(releases_removed_files_promptly(6, 1));
  EXPECT_FALSE(releases_removed_files_promptly(6, 12));
  EXPECT_FALSE(releases_removed_files_promptly(5, 19));
  EXPECT_TRUE(releases_removed_files_promptly(6, 13));
  EXPECT_TRUE(releases_removed_files_promptly(6, 18));
  EXPECT_TRUE(releases_removed_files_promptly(7, 0));
}

}  // namespace
}  // namespace rg::core
