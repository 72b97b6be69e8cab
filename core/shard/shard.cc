#include "core/shard/shard.h"

#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/io/user_data.h"
#include "core/net/refusal_session.h"
#include "core/shard/clock.h"

namespace rg::core {

namespace {
constexpr uint16_t kRxGroup = 0;
constexpr uint16_t kUdpGroup = 1;
constexpr size_t kMaxIov = 64;
constexpr uint32_t kAcceptRetryMs = 100;
// Connections past --max-connections that may be in the middle of being told so (each for
// half a second at most): beyond this, further ones are closed without a word.
constexpr size_t kMaxRefusing = 256;
// Refused at most per accept failure for lack of descriptors (then the retry timer).
constexpr int kMaxRefusedAtOnce = 64;
// Send contexts (about 1 KiB each) kept for reuse: enough for the sends of a busy tick;
// a fanout to many slow readers needs one per reader in flight, and those are freed as
// their sends complete rather than pooled for ever (100k of them were 110 MiB).
constexpr size_t kMaxPooledSends = 256;
// After the stop grace period, connections are aborted; this much later the loop exits
// whatever is still in flight (the ring's teardown cancels it).
constexpr uint32_t kStopHardMs = 500;
}  // namespace

// The iovec array and msghdr of one in-flight sendmsg. Pooled per shard, so an idle
// connection does not carry them.
struct SendContext {
  iovec iov[kMaxIov];
  msghdr msg;
};

struct Shard::Listener {
  Listener(Shard& owner, int listen_fd, uint32_t listener_index,
           std::unique_ptr<StreamService> stream_service, bool keep)
      : shard(&owner),
        fd(listen_fd),
        index(listener_index),
        service(std::move(stream_service)),
        retry_timer(&Listener::on_retry, this),
        keep_while_shedding(keep) {}

  static void on_retry(void* self) noexcept {
    auto& listener = *static_cast<Listener*>(self);
    Shard& shard = *listener.shard;
    if (shard.accepting(listener) && !listener.armed) shard.arm_accept(listener);
  }

  Shard* shard;
  int fd;
  uint32_t index;
  std::unique_ptr<StreamService> service;
  Timer retry_timer;  // accept failed for lack of descriptors or memory: try again later
  bool keep_while_shedding;
  bool armed = false;
};

struct Shard::Outbound {
  Endpoint to;
  std::unique_ptr<StreamService> service;
  uint32_t count;
  uint32_t reconnects = 0;  // connect_again() calls
};

struct UdpSendSlot {
  msghdr msg{};
  iovec iov{};
  sockaddr_storage to{};
  RxChunk keep;                 // a reply sent straight from its receive buffer
  BlockRef shared;              // or a block sent to many members
  std::vector<std::byte> copy;  // or a copy of what is sent
  uint32_t index = 0;
};

ShardStats& DatagramSocket::stats() noexcept {
  return shard_->stats_;
}

UdpSendSlot* DatagramSocket::take_slot(const sockaddr* to, socklen_t to_length) noexcept {
  Shard& shard = *shard_;
  if (shard.stopping_ || to_length > sizeof(sockaddr_storage)) {
    ++shard.stats_.udp_dropped;
    return nullptr;
  }
  uint32_t slot_index;
  if (!shard.free_udp_send_slots_.empty()) {
    slot_index = shard.free_udp_send_slots_.back();
    shard.free_udp_send_slots_.pop_back();
  } else if (shard.udp_send_slots_.size() < shard.config_.udp_buffers) {
    slot_index = static_cast<uint32_t>(shard.udp_send_slots_.size());
    shard.udp_send_slots_.push_back(std::make_unique<UdpSendSlot>());
    shard.udp_send_slots_.back()->index = slot_index;
  } else {
    ++shard.stats_.udp_dropped;
    return nullptr;
  }
  UdpSendSlot& slot = *shard.udp_send_slots_[slot_index];
  slot.msg = msghdr{};
  if (to != nullptr) {
    std::memcpy(&slot.to, to, to_length);
    slot.msg.msg_name = &slot.to;
    slot.msg.msg_namelen = to_length;
  }
  return &slot;
}

void DatagramSocket::submit(UdpSendSlot& slot, std::span<const std::byte> payload) noexcept {
  Shard& shard = *shard_;
  slot.iov.iov_base = const_cast<std::byte*>(payload.data());
  slot.iov.iov_len = payload.size();
  slot.msg.msg_iov = &slot.iov;
  slot.msg.msg_iovlen = 1;
  io_uring_sqe* sqe = shard.ring_->sqe();
  io_uring_prep_sendmsg(sqe, fd_, &slot.msg, 0);
  io_uring_sqe_set_data64(sqe, UserData{Op::kUdpSend, 0, slot.index}.pack());
  ++shard.udp_sends_in_flight_;
}

bool DatagramSocket::send_to(const sockaddr* to, socklen_t to_length,
                             std::span<const std::byte> payload, RxChunk keep) noexcept {
  UdpSendSlot* slot = take_slot(to, to_length);
  if (slot == nullptr) return false;
  slot->keep = std::move(keep);  // the payload lives in it until the send completes
  submit(*slot, payload);
  return true;
}

bool DatagramSocket::send_shared_to(const sockaddr* to, socklen_t to_length, const BlockRef& block,
                                    size_t offset, size_t length) noexcept {
  UdpSendSlot* slot = take_slot(to, to_length);
  if (slot == nullptr) return false;
  slot->shared = block;
  submit(*slot, {block->data() + offset, length});
  return true;
}

bool DatagramSocket::send_copy_to(const sockaddr* to, socklen_t to_length,
                                  std::span<const std::byte> payload) noexcept {
  UdpSendSlot* slot = take_slot(to, to_length);
  if (slot == nullptr) return false;
  slot->copy.assign(payload.begin(), payload.end());  // the slot keeps its capacity
  submit(*slot, slot->copy);
  return true;
}

Shard::Shard(ShardConfig config)
    : config_(config),
      kernel_sndbuf_(size_t{config.sndbuf} * 2 /* the kernel doubles it */),
      ip_limits_(config.ip_limits) {
  wake_fd_ = eventfd(0, EFD_CLOEXEC);
  if (wake_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

Shard::~Shard() {
  join();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void Shard::add_stream_listener(int fd, std::unique_ptr<StreamService> service,
                                bool keep_while_shedding) {
  auto index = static_cast<uint32_t>(listeners_.size());
  listeners_.push_back(
      std::make_unique<Listener>(*this, fd, index, std::move(service), keep_while_shedding));
}

void Shard::add_datagram_socket(int fd, std::unique_ptr<DatagramService> service) {
  auto socket = std::unique_ptr<DatagramSocket>(new DatagramSocket(*this));
  socket->fd_ = fd;
  socket->index_ = static_cast<uint32_t>(datagram_sockets_.size());
  socket->service_ = std::move(service);
  datagram_sockets_.push_back(std::move(socket));
}

std::future<void> Shard::start() {
  auto ready = std::make_shared<std::promise<void>>();
  std::future<void> future = ready->get_future();
  thread_ = std::thread([this, ready] { run(*ready); });
  return future;
}

void Shard::request_drain() noexcept {
  drain_requested_.store(true, std::memory_order_release);
  wake();
}

void Shard::request_shed(uint32_t window_ms) noexcept {
  shed_window_ms_.store(window_ms, std::memory_order_relaxed);
  shed_requested_.store(true, std::memory_order_release);
  wake();
}

void Shard::request_stop() noexcept {
  stop_requested_.store(true, std::memory_order_release);
  wake();
}

void Shard::wake() noexcept {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

void Shard::join() {
  if (thread_.joinable()) thread_.join();
}

void Shard::run(std::promise<void>& ready) noexcept {
  try {
    set_up();
  } catch (...) {
    ready.set_exception(std::current_exception());
    fixed_files_.reset();
    udp_buffers_.reset();
    rx_buffers_.reset();
    ring_.reset();
    return;
  }
  ready.set_value();
  loop();
  // The table goes first: the removals of the last tick were queued, never submitted, and
  // the sockets closed then would otherwise stay open until the ring's teardown.
  fixed_files_.reset();

  // Teardown: whatever is left is cut off (normally nothing: the loop ends once every
  // connection is closed and every send completed). Sessions and send slots go first, so
  // the receive buffers they hold return to their rings; then the buffer rings unregister
  // through the live io_uring (no receive can pick a buffer after that) and unmap; the
  // io_uring goes last.
  for (auto& conn : connections_) {
    if (conn->state_ != Connection::State::kFree && conn->fd_ >= 0) {
      ::shutdown(conn->fd_, SHUT_RDWR);  // a send still in flight fails rather than reads on
      ::close(conn->fd_);
      conn->fd_ = -1;
      config_.open_connections->fetch_sub(1, std::memory_order_relaxed);
      ++stats_.closed;
    }
  }
  for (auto& listener : listeners_) ::close(listener->fd);
  for (auto& socket : datagram_sockets_) ::close(socket->fd_);
  if (reserve_fd_ >= 0) ::close(reserve_fd_);
  udp_send_slots_.clear();
  connections_.clear();
  udp_buffers_.reset();
  rx_buffers_.reset();
  ring_.reset();
}

void Shard::set_up() {
  char name[16];
  std::snprintf(name, sizeof name, "rg-shard-%u", config_.index);
  pthread_setname_np(pthread_self(), name);
  if (config_.cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(config_.cpu, &set);
    if (int rc = pthread_setaffinity_np(pthread_self(), sizeof set, &set); rc != 0) {
      throw std::system_error(rc, std::generic_category(),
                              "pinning shard " + std::to_string(config_.index) + " to CPU " +
                                  std::to_string(config_.cpu));
    }
  }
  // The ring is created on the shard's own thread: with SINGLE_ISSUER only its creator may
  // submit to it.
  ring_ = std::make_unique<Ring>(config_.ring_entries, config_.setup_flags);
  now_ns_ = monotonic_ns();
  now_ms_ = now_ns_ / 1000000;
  timers_ = std::make_unique<TimerWheel>(now_ms_, config_.timer_tick_ms);
  if (!listeners_.empty() || !outbound_.empty()) {
    rx_buffers_ =
        std::make_unique<BufferRing>(*ring_, kRxGroup, config_.rx_buffers, config_.rx_buffer_size);
  }
  if (!datagram_sockets_.empty()) {
    udp_buffers_ = std::make_unique<BufferRing>(*ring_, kUdpGroup, config_.udp_buffers,
                                                config_.udp_buffer_size);
  }
  if (config_.fixed_file_slots != 0 && (!listeners_.empty() || !outbound_.empty())) {
    fixed_files_ = std::make_unique<FixedFileTable>(*ring_, config_.fixed_file_slots);
    if (!fixed_files_->ok()) {
      log(LogLevel::kWarn, "fixed_files",
          std::string("no registered file table (") + std::strerror(-fixed_files_->error()) +
              "): requests name descriptors");
      fixed_files_.reset();
    }
  }
  if (!listeners_.empty()) reserve_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  arm_wake();
  for (auto& listener : listeners_) arm_accept(*listener);
  for (auto& socket : datagram_sockets_) arm_udp_recv(*socket);
  for (auto& outbound : outbound_) {
    for (uint32_t i = 0; i < outbound->count; ++i) start_connect(*outbound, i);
  }
  for (auto& socket : datagram_sockets_) socket->service_->on_ready(*socket);
  if (int rc = io_uring_submit(&ring_->raw()); rc < 0) {
    throw std::system_error(-rc, std::generic_category(), "io_uring_submit");
  }
}

void Shard::loop() noexcept {
  io_uring& ring = ring_->raw();
  for (;;) {
    end_of_tick();
    if (stopping_) {
      bool drained = live_connections_ == 0 && udp_sends_in_flight_ == 0;
      if (drained || now_ms_ >= stop_deadline_ms_ + kStopHardMs) break;
      if (now_ms_ >= stop_deadline_ms_ && !aborted_stop_) {
        aborted_stop_ = true;
        for (auto& conn : connections_) conn->close(Connection::CloseMode::kAbort);
        continue;
      }
    }
    uint64_t wait_ms = timers_->next_wakeup_in_ms(now_ms_).value_or(1000);
    if (stopping_) wait_ms = std::min<uint64_t>(wait_ms, 20);
    if (!quiet_told_) {
      uint64_t quiet_at = last_busy_ms_ + config_.quiet_ms;
      if (now_ms_ >= quiet_at) {
        quiet_told_ = true;
        release_idle_memory();
        if (config_.on_quiet != nullptr) config_.on_quiet();
      } else {
        wait_ms = std::min(wait_ms, quiet_at - now_ms_);
      }
    }
    if (hook_ != nullptr) wait_ms = std::min(wait_ms, hook_->prepare_to_sleep());
    // Sleep until the due millisecond itself, measured on the nanosecond clock: counting
    // from the truncated now_ms_ would wake timers up to a whole tick late.
    uint64_t now_ns = monotonic_ns();
    stats_.busy_ns += now_ns - now_ns_;
    uint64_t due_ns = (now_ms_ + wait_ms) * 1000000;
    if (!dirty_.empty()) due_ns = std::min(due_ns, next_flush_ns_);  // output held back
    uint64_t wait_ns = due_ns > now_ns ? due_ns - now_ns : 0;
    __kernel_timespec timeout{};
    timeout.tv_sec = static_cast<long long>(wait_ns / 1000000000);
    timeout.tv_nsec = static_cast<long long>(wait_ns % 1000000000);
    io_uring_cqe* cqe = nullptr;
    // One system call submits everything the last tick queued and waits for completions.
    int rc = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &timeout, nullptr);
    if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY && rc != -EAGAIN) {
      std::fprintf(stderr, "ringgate: shard %u: io_uring_enter failed: %s\n", config_.index,
                   std::strerror(-rc));
      std::abort();  // an impossible state after the start-up probe
    }
    now_ns_ = monotonic_ns();
    now_ms_ = now_ns_ / 1000000;
    if (hook_ != nullptr) hook_->on_woken();
    unsigned head;
    unsigned seen = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      handle(*cqe);
      ++seen;
    }
    if (seen != 0) {
      last_busy_ms_ = now_ms_;
      quiet_told_ = false;
    }
    io_uring_cq_advance(&ring, seen);
    timers_->advance(now_ms_);
  }
}

void Shard::handle(const io_uring_cqe& cqe) noexcept {
  UserData ud = UserData::unpack(io_uring_cqe_get_data64(&cqe));
  switch (ud.op) {
    case Op::kIgnore:
      break;
    case Op::kAccept:
      on_accept(*listeners_[ud.index], cqe);
      break;
    case Op::kRecv:
      on_recv(connection_for(ud.index, ud.generation), cqe);
      break;
    case Op::kSend:
      if (Connection* conn = connection_for(ud.index, ud.generation)) on_send(*conn, cqe);
      break;
    case Op::kUdpRecv:
      on_udp_recv(*datagram_sockets_[ud.index], cqe);
      break;
    case Op::kUdpSend: {
      UdpSendSlot& slot = *udp_send_slots_[ud.index];
      slot.keep.release();
      slot.shared = BlockRef();
      free_udp_send_slots_.push_back(ud.index);
      --udp_sends_in_flight_;
      if (cqe.res >= 0) {
        ++stats_.udp_tx;
      } else {
        ++stats_.udp_dropped;
      }
      break;
    }
    case Op::kConnect:
      if (Connection* conn = connection_for(ud.index, ud.generation)) on_connect(*conn, cqe);
      break;
    case Op::kFilesUpdate:
      // Not expected once the table exists (the kernel could run out of memory): the
      // connection in the slot then fails its next request and is closed.
      if (cqe.res < 0 && log_open()) {
        log(LogLevel::kError, "fixed_files",
            "updating registered file " + std::to_string(ud.index) +
                " failed: " + std::strerror(-cqe.res));
      }
      break;
    case Op::kWake:
      if (stop_requested_.load(std::memory_order_acquire)) {
        begin_stop();
      } else {
        if (shed_requested_.load(std::memory_order_acquire)) begin_shed();
        if (drain_requested_.load(std::memory_order_acquire)) begin_drain();
        arm_wake();
      }
      break;
  }
}

void Shard::end_of_tick() noexcept {
  // While draining, the hook is not idle from here until it says so below: whatever it
  // takes off the bus in on_tick() is accounted for before drained() can be true again.
  if (draining_) quiet_.store(false, std::memory_order_seq_cst);
  if (hook_ != nullptr) hook_->on_tick();
  // Coalesced sends: everything a connection queued during this tick leaves in one sendmsg.
  // With --write-delay, at most once per delay: output that arrives within one leaves
  // with what came before it (the first after a quiet spell leaves at once).
  if (!dirty_.empty() && (config_.write_delay_ns == 0 || now_ns_ >= next_flush_ns_)) {
    for (Connection* conn : dirty_) flush(*conn);
    dirty_.clear();
    next_flush_ns_ = now_ns_ + config_.write_delay_ns;
  }
  // Buffers consumed this tick go back to the kernel before receives are re-armed.
  if (rx_buffers_) rx_buffers_->publish();
  if (udp_buffers_) udp_buffers_->publish();
  for (Connection* conn : rearm_) {
    conn->rearm_listed_ = false;
    bool wanted = (conn->state_ == Connection::State::kOpen && conn->want_recv_ && !draining_) ||
                  conn->discarding_input();
    if (wanted && !conn->recv_armed_) arm_recv(*conn);
  }
  rearm_.clear();
  if (!stopping_ && !draining_) {
    for (auto& socket : datagram_sockets_) {
      if (!socket->armed_) arm_udp_recv(*socket);
    }
  }
  if (draining_) quiet_.store(hook_ == nullptr || hook_->idle(), std::memory_order_seq_cst);
  if (hook_ != nullptr && hook_->take_activity()) {
    last_busy_ms_ = now_ms_;
    quiet_told_ = false;
  }
}

void Shard::begin_drain() noexcept {
  if (draining_ || stopping_) return;
  draining_ = true;
  stop_listening();
  // No new requests: reads stop (and are not re-armed while draining); what was already
  // read is handled, and deliveries keep flowing out.
  for (auto& conn : connections_) {
    if (conn->state_ != Connection::State::kOpen) continue;
    conn->want_recv_ = false;
    if (conn->recv_armed_) cancel_recv(*conn);
  }
}

bool Shard::accepting(const Listener& listener) const noexcept {
  return !stopping_ && !draining_ && (!shedding_ || listener.keep_while_shedding);
}

void Shard::begin_shed() noexcept {
  if (shedding_ || draining_ || stopping_) return;
  shedding_ = true;
  shed_start_ms_ = now_ms_;
  for (auto& listener : listeners_) {
    if (listener->keep_while_shedding) continue;
    // Shut down, not only no longer accepted from: the socket leaves its SO_REUSEPORT group
    // and new clients are refused at once (a reset), so they try another gateway instead
    // of waiting in a backlog nobody reads. The accept under way ends with EINVAL.
    ::shutdown(listener->fd, SHUT_RD);
    stop_accepting(*listener);
  }
  for (auto& conn : connections_) {
    if (conn->state_ == Connection::State::kOpen && !conn->keep_while_shedding_) ++shed_total_;
  }
  shed_step();
}

void Shard::on_shed_timer(void* self) noexcept {
  static_cast<Shard*>(self)->shed_step();
}

void Shard::shed_step() noexcept {
  // Closed so far should be the elapsed share of the window (rounded up): an even pace,
  // so that the clients' reconnects reach the other gateways as a stream, not a storm.
  constexpr uint64_t kStepMs = 50;
  uint64_t window = shed_window_ms_.load(std::memory_order_relaxed);
  uint64_t elapsed = now_ms_ - shed_start_ms_;
  size_t target = elapsed >= window ? SIZE_MAX : (shed_total_ * elapsed + window - 1) / window;
  size_t left = 0;
  for (auto& conn : connections_) {
    if (conn->state_ != Connection::State::kOpen || conn->keep_while_shedding_) continue;
    if (shed_closed_ >= target) {
      ++left;
      continue;
    }
    ++shed_closed_;
    close_for_shutdown(*conn);
  }
  shed_done_.store(left == 0, std::memory_order_release);
  // On until the stop: connections handed over from other shards meanwhile go too.
  if (!stopping_) timers_->schedule(shed_timer_, now_ms_ + kStepMs);
}

void Shard::cancel_all_on(int fd) noexcept {
  io_uring_sqe* sqe = ring_->sqe();
  io_uring_prep_cancel_fd(sqe, fd, IORING_ASYNC_CANCEL_ALL);
  io_uring_sqe_set_data64(sqe, UserData{Op::kIgnore, 0, 0}.pack());
}

void Shard::stop_accepting(Listener& listener) noexcept {
  timers_->cancel(listener.retry_timer);
  cancel_all_on(listener.fd);
}

void Shard::close_for_shutdown(Connection& conn) noexcept {
  if (conn.state_ == Connection::State::kOpen && conn.session_) conn.session_->on_shutdown(conn);
  conn.close(Connection::CloseMode::kGraceful);  // in case the session did not
}

void Shard::stop_listening() noexcept {
  for (auto& listener : listeners_) stop_accepting(*listener);
  for (auto& socket : datagram_sockets_) cancel_all_on(socket->fd_);
}

void Shard::begin_stop() noexcept {
  if (stopping_) return;
  bool listening = !draining_;
  stopping_ = true;
  timers_->cancel(shed_timer_);
  stop_deadline_ms_ = now_ms_ + config_.stop_grace_ms;
  if (listening) stop_listening();
  for (auto& conn : connections_) close_for_shutdown(*conn);
}

void Shard::arm_wake() noexcept {
  io_uring_sqe* sqe = ring_->sqe();
  io_uring_prep_read(sqe, wake_fd_, &wake_value_, sizeof wake_value_, 0);
  io_uring_sqe_set_data64(sqe, UserData{Op::kWake, 0, 0}.pack());
}

void Shard::arm_accept(Listener& listener) noexcept {
  io_uring_sqe* sqe = ring_->sqe();
  io_uring_prep_multishot_accept(sqe, listener.fd, nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(sqe, UserData{Op::kAccept, 0, listener.index}.pack());
  listener.armed = true;
}

void Shard::on_accept(Listener& listener, const io_uring_cqe& cqe) noexcept {
  if (!(cqe.flags & IORING_CQE_F_MORE)) listener.armed = false;
  if (cqe.res < 0) {
    if (cqe.res == -EMFILE || cqe.res == -ENFILE) refuse_without_descriptors(listener);
    // EMFILE, ENFILE, ENOMEM...: the multishot accept has ended; try again a little later
    // rather than spin on the same error.
    if (accepting(listener) && !listener.armed && cqe.res != -ECANCELED) {
      timers_->schedule(listener.retry_timer, now_ms_ + kAcceptRetryMs);
    }
    return;
  }
  int fd = cqe.res;
  if (!accepting(listener)) {
    ::close(fd);
  } else if (config_.open_connections->fetch_add(1, std::memory_order_relaxed) >=
             config_.max_connections) {
    // Told in its protocol (WebSocket: 503 with Retry-After), then closed.
    ++(refuse(fd, listener.service->refusal()) ? stats_.refused : stats_.rejected);
  } else if (uint64_t key =
                 config_.ip_limits.on() && !listener.keep_while_shedding ? IpLimits::key_of(fd) : 0;
             key != 0 && refuse_address(listener, fd, key)) {
    // (told and closed, or closed: its place in open_connections is given back)
  } else {
    ++stats_.accepted;
    Connection& conn = allocate_connection(fd);
    conn.ip_key_ = key;
    conn.keep_while_shedding_ = listener.keep_while_shedding;
    open_session(conn, *listener.service);
  }
  if (!listener.armed && accepting(listener)) arm_accept(listener);
}

bool Shard::refuse_address(Listener& listener, int fd, uint64_t key) noexcept {
  IpLimits::Verdict verdict = ip_limits_.admit(key, now_ms_);
  if (verdict == IpLimits::Verdict::kAdmit) return false;
  ++(verdict == IpLimits::Verdict::kTooMany ? stats_.refused_conns_per_ip
                                            : stats_.refused_conn_rate_per_ip);
  (void)refuse(fd, listener.service->address_refusal());  // (WebSocket: 429)
  return true;
}

bool Shard::refuse(int fd, std::string_view answer) noexcept {
  if (!answer.empty() && refusing_ < kMaxRefusing) {
    // Its count in open_connections is given back when the slot is freed.
    ++refusing_;
    Connection& conn = allocate_connection(fd);
    conn.refusing_ = true;
    conn.session_ = std::make_unique<RefusalSession>(conn, answer);
    arm_recv(conn);
    return true;
  }
  config_.open_connections->fetch_sub(1, std::memory_order_relaxed);
  ::close(fd);
  return false;
}

void Shard::maybe_detach(Connection& conn) noexcept {
  if (!conn.detaching() || conn.state_ != Connection::State::kOpen || conn.recv_armed_ ||
      conn.send_ != nullptr) {
    return;
  }
  if (!conn.out_.empty()) {
    mark_dirty(conn);  // what is queued leaves first, in order
    return;
  }
  int fd = conn.fd_;
  std::unique_ptr<Connection::HandOff> hand_off = std::move(conn.hand_off_);
  conn.fd_ = -1;
  forget_fixed_file(conn);
  conn.session_.reset();
  release_slot(conn);  // it stays in open_connections: it lives on, on another shard
  hand_off->done(hand_off->context, fd, std::move(hand_off->carried));
}

void Shard::release_slot(Connection& conn) noexcept {
  timers_->cancel(conn.idle_timer_);
  if (conn.ip_key_ != 0) {
    ip_limits_.release(conn.ip_key_);
    conn.ip_key_ = 0;
  }
  conn.state_ = Connection::State::kFree;
  conn.held_ = false;
  // Late completions for the old connection carry the old generation and are ignored.
  conn.generation_ = (conn.generation_ + 1) & UserData::kGenerationMask;
  free_slots_.push_back(conn.index_);
  --live_connections_;
}

void Shard::adopt(int fd, std::span<const std::byte> carried, StreamService& service) noexcept {
  Connection& conn = allocate_connection(fd);
  ++stats_.adopted;
  open_session(conn, service);
  if (carried.empty() || conn.state_ != Connection::State::kOpen) return;
  // Sessions parse in place and may read past the bytes (simdjson's padding), as in a
  // receive buffer: the carried bytes get the same tailroom.
  std::vector<std::byte> bytes(carried.size() + BufferRing::kTailroom);
  std::copy(carried.begin(), carried.end(), bytes.begin());
  conn.last_rx_ms_ = now_ms_;
  conn.session_->on_bytes(conn, std::span<std::byte>(bytes.data(), carried.size()));
}

void Shard::release_idle_memory() noexcept {
  // Connection slots past the last one in use go (a crowd that has left keeps nothing);
  // slots in the middle stay, on the free list.
  // (Not while output waits for --write-delay: the dirty list points at its connections.)
  size_t keep = connections_.size();
  while (keep > 0 && dirty_.empty() && connections_[keep - 1]->state_ == Connection::State::kFree) {
    --keep;
  }
  if (keep < connections_.size()) {
    connections_.resize(keep);
    connections_.shrink_to_fit();
    std::erase_if(free_slots_, [keep](uint32_t index) { return index >= keep; });
    free_slots_.shrink_to_fit();
  }
  if (dirty_.empty()) dirty_.shrink_to_fit();
  if (rearm_.empty()) rearm_.shrink_to_fit();
  // The pages of receive buffers a burst touched (8 MiB per shard at the default).
  if (rx_buffers_) rx_buffers_->release_pages();
  if (udp_buffers_) udp_buffers_->release_pages();
}

void Shard::refuse_without_descriptors(Listener& listener) noexcept {
  std::string_view answer = listener.service->refusal();
  for (int i = 0; i < kMaxRefusedAtOnce && reserve_fd_ >= 0; ++i) {
    // Only this shard accepts on its listener (SO_REUSEPORT gives each its own queue) and
    // its multishot accept has ended, so a ready listener cannot block the accept below.
    pollfd ready{listener.fd, POLLIN, 0};
    if (::poll(&ready, 1, 0) != 1 || !(ready.revents & POLLIN)) break;
    ::close(reserve_fd_);
    int fd = ::accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd >= 0) {
      if (!answer.empty()) {
        [[maybe_unused]] ssize_t n =
            ::send(fd, answer.data(), answer.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      }
      ::close(fd);
      ++stats_.refused;
    }
    reserve_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) break;
  }
}

// A slot for a new connection on `fd` (its count in open_connections is already taken).
Connection& Shard::allocate_connection(int fd) noexcept {
  uint32_t index;
  if (!free_slots_.empty()) {
    index = free_slots_.back();
    free_slots_.pop_back();
  } else {
    index = static_cast<uint32_t>(connections_.size());
    connections_.push_back(std::make_unique<Connection>(*this, index));
  }
  Connection& conn = *connections_[index];
  conn.fd_ = fd;
  conn.fixed_ = fixed_files_ && fixed_files_->install(index, fd);
  conn.state_ = Connection::State::kOpen;
  conn.close_mode_ = Connection::CloseMode::kGraceful;
  conn.want_recv_ = true;
  conn.shut_down_ = false;
  conn.cancel_sent_ = false;
  conn.connect_inflight_ = false;
  conn.last_rx_ms_ = now_ms_;
  conn.kernel_full_ = false;
  conn.abort_ = false;
  conn.peer_eof_ = false;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (config_.sndbuf != 0) {
    int size = static_cast<int>(config_.sndbuf);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  }
  ++live_connections_;
  return conn;
}

void Shard::open_session(Connection& conn, StreamService& service) noexcept {
  conn.state_ = Connection::State::kOpen;
  conn.last_rx_ms_ = now_ms_;
  conn.session_ = service.open(conn);
  if (!conn.session_) {
    conn.close(Connection::CloseMode::kAbort);
    return;
  }
  if (config_.idle_timeout_ms != 0) {
    timers_->schedule(conn.idle_timer_, now_ms_ + config_.idle_timeout_ms);
  }
  if (conn.state_ == Connection::State::kOpen) arm_recv(conn);
}

void Shard::add_outbound(const Endpoint& to, std::unique_ptr<StreamService> service,
                         uint32_t count) {
  auto outbound = std::make_unique<Outbound>();
  outbound->to = to;
  outbound->service = std::move(service);
  outbound->count = count;
  outbound_.push_back(std::move(outbound));
}

void Shard::connect_again(StreamService& service) noexcept {
  for (auto& outbound : outbound_) {
    if (outbound->service.get() != &service) continue;
    // Any ordinal of the set: only its source address (past 25,000 connections) matters.
    start_connect(*outbound, outbound->reconnects++ % std::max<uint32_t>(outbound->count, 1));
    return;
  }
}

void Shard::start_connect(Outbound& outbound, uint32_t ordinal) noexcept {
  auto failed = [&](int error, int fd) {
    if (fd >= 0) ::close(fd);
    ++stats_.connect_failed;
    outbound.service->on_connect_failed(error);
  };
  // Outbound connections count against --max-connections like accepted ones.
  if (config_.open_connections->fetch_add(1, std::memory_order_relaxed) >=
      config_.max_connections) {
    config_.open_connections->fetch_sub(1, std::memory_order_relaxed);
    return failed(EMFILE, -1);
  }
  int fd = socket(outbound.to.address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    int error = errno;
    config_.open_connections->fetch_sub(1, std::memory_order_relaxed);
    return failed(error, -1);
  }
  // One source address has about 28,000 ephemeral ports towards one destination: beyond
  // that, loopback connections come from 127.0.0.2, .3, ... (all of 127/8 is local).
  constexpr uint32_t kPerSource = 25000;
  auto* to4 = reinterpret_cast<const sockaddr_in*>(&outbound.to.address);
  if (outbound.to.address.ss_family == AF_INET && (ntohl(to4->sin_addr.s_addr) >> 24) == 127 &&
      outbound.count > kPerSource) {
    sockaddr_in from{};
    from.sin_family = AF_INET;
    from.sin_addr.s_addr = htonl(0x7f000001u + ordinal / kPerSource);
    int one = 1;
    if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one) != 0 ||
        bind(fd, reinterpret_cast<const sockaddr*>(&from), sizeof from) != 0) {
      int error = errno;
      config_.open_connections->fetch_sub(1, std::memory_order_relaxed);
      return failed(error, fd);
    }
  }
  Connection& conn = allocate_connection(fd);
  conn.state_ = Connection::State::kConnecting;
  conn.want_recv_ = false;
  conn.service_ = outbound.service.get();
  conn.connect_inflight_ = true;
  io_uring_sqe* sqe = ring_->sqe();
  io_uring_prep_connect(sqe, fd, reinterpret_cast<const sockaddr*>(&outbound.to.address),
                        outbound.to.length);
  if (conn.fixed_) FixedFileTable::target(sqe, conn.index_);
  io_uring_sqe_set_data64(sqe, UserData{Op::kConnect, conn.generation_, conn.index_}.pack());
}

void Shard::on_connect(Connection& conn, const io_uring_cqe& cqe) noexcept {
  conn.connect_inflight_ = false;
  if (conn.state_ != Connection::State::kConnecting) {
    maybe_free(conn);  // closed (stopping) while connecting
    return;
  }
  if (cqe.res < 0) {
    ++stats_.connect_failed;
    conn.service_->on_connect_failed(-cqe.res);
    conn.close(Connection::CloseMode::kAbort);
    return;
  }
  ++stats_.connected;
  conn.want_recv_ = true;
  open_session(conn, *conn.service_);
}

void Shard::cancel_connect(Connection& conn) noexcept {
  io_uring_sqe* sqe = ring_->sqe();
  io_uring_prep_cancel64(sqe, UserData{Op::kConnect, conn.generation_, conn.index_}.pack(), 0);
  io_uring_sqe_set_data64(sqe, UserData{Op::kIgnore, 0, 0}.pack());
}

void Shard::arm_recv(Connection& conn) noexcept {
  io_uring_sqe* sqe = ring_->sqe();
  io_uring_prep_recv_multishot(sqe, conn.fd_, nullptr, 0, 0);
  if (conn.fixed_) FixedFileTable::target(sqe, conn.index_);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = kRxGroup;
  io_uring_sqe_set_data64(sqe, UserData{Op::kRecv, conn.generation_, conn.index_}.pack());
  conn.recv_armed_ = true;
  conn.cancel_sent_ = false;
}

void Shard::on_recv(Connection* conn, const io_uring_cqe& cqe) noexcept {
  // Whatever else happens, a buffer the kernel picked goes back to the ring when `chunk`
  // goes out of scope.
  RxChunk chunk;
  if (cqe.flags & IORING_CQE_F_BUFFER) {
    rx_buffers_->on_taken();
    chunk = RxChunk(*rx_buffers_, static_cast<uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT),
                    cqe.res > 0 ? static_cast<uint32_t>(cqe.res) : 0);
  }
  if (conn == nullptr) return;  // a late completion for a connection already gone
  if (cqe.res > 0) {
    stats_.rx_bytes += static_cast<uint64_t>(cqe.res);
    conn->last_rx_ms_ = now_ms_;
    if (conn->state_ == Connection::State::kOpen) {
      if (conn->detaching()) {
        std::span<std::byte> bytes = chunk.bytes();
        conn->hand_off_->carried.insert(conn->hand_off_->carried.end(), bytes.begin(), bytes.end());
      } else {
        conn->session_->on_bytes(*conn, chunk.bytes());
      }
    }
  } else if (cqe.res == 0) {
    conn->peer_eof_ = true;
    conn->close(Connection::CloseMode::kGraceful);  // the peer has finished sending
  } else if (cqe.res == -ENOBUFS) {
    ++stats_.rx_no_buffers;  // every buffer is in use this tick: re-armed after publish()
  } else if (cqe.res != -ECANCELED) {
    conn->close(Connection::CloseMode::kAbort);  // ECONNRESET and the like
  }
  // The session may have closed the connection above; it is freed only once the multishot
  // receive is over, never while its session is still on the stack.
  if (!(cqe.flags & IORING_CQE_F_MORE)) {
    conn->recv_armed_ = false;
    conn->cancel_sent_ = false;
    if ((conn->state_ == Connection::State::kOpen && conn->want_recv_) ||
        conn->discarding_input()) {
      list_for_rearm(*conn);
    }
    maybe_free(*conn);
    maybe_detach(*conn);
  }
}

void Shard::flush(Connection& conn) noexcept {
  conn.dirty_ = false;
  if (conn.state_ == Connection::State::kFree || conn.send_ != nullptr || conn.out_.empty() ||
      conn.shut_down_) {
    return;
  }
  SendContext* ctx;
  if (!send_pool_.empty()) {
    ctx = send_pool_.back().release();
    send_pool_.pop_back();
  } else {
    ctx = new SendContext;
  }
  size_t count = conn.out_.gather(ctx->iov, kMaxIov);
  ctx->msg = msghdr{};
  ctx->msg.msg_iov = ctx->iov;
  ctx->msg.msg_iovlen = count;
  io_uring_sqe* sqe = ring_->sqe();
  io_uring_prep_sendmsg(sqe, conn.fd_, &ctx->msg, MSG_NOSIGNAL);
  if (conn.fixed_) FixedFileTable::target(sqe, conn.index_);
  io_uring_sqe_set_data64(sqe, UserData{Op::kSend, conn.generation_, conn.index_}.pack());
  conn.send_ = ctx;
  ++stats_.sends;
}

void Shard::on_send(Connection& conn, const io_uring_cqe& cqe) noexcept {
  size_t offered = 0;
  for (size_t i = 0; i < conn.send_->msg.msg_iovlen; ++i) offered += conn.send_->iov[i].iov_len;
  if (send_pool_.size() < kMaxPooledSends) {
    send_pool_.emplace_back(conn.send_);
  } else {
    delete conn.send_;
  }
  conn.send_ = nullptr;
  if (cqe.res > 0) {
    // Short: the kernel's send buffer is full (the peer is not taking what it is sent).
    conn.kernel_full_ = static_cast<size_t>(cqe.res) < offered;
    conn.out_.consume(static_cast<size_t>(cqe.res));
    stats_.tx_bytes += static_cast<uint64_t>(cqe.res);
  } else if (cqe.res < 0) {
    conn.close(Connection::CloseMode::kAbort);  // EPIPE, ECONNRESET: the peer is gone
  }
  if (conn.state_ == Connection::State::kClosing &&
      conn.close_mode_ == Connection::CloseMode::kAbort) {
    conn.out_.clear();
  }
  if (!conn.out_.empty()) {
    mark_dirty(conn);  // a partial send, or more queued meanwhile: next tick
  } else if (conn.state_ == Connection::State::kClosing) {
    shut_down(conn);
  }
  maybe_detach(conn);
  if (conn.state_ == Connection::State::kOpen && !conn.detaching() && !conn.want_recv_ &&
      !conn.held_ && conn.out_.bytes() <= config_.max_outbuf / 2) {
    conn.want_recv_ = true;  // the reader caught up: resume reading
    if (!conn.recv_armed_) list_for_rearm(conn);
  }
  maybe_free(conn);
}

void Shard::arm_udp_recv(DatagramSocket& socket) noexcept {
  socket.recv_msg_ = msghdr{};
  socket.recv_msg_.msg_namelen = sizeof(sockaddr_storage);
  io_uring_sqe* sqe = ring_->sqe();
  io_uring_prep_recvmsg_multishot(sqe, socket.fd_, &socket.recv_msg_, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = kUdpGroup;
  io_uring_sqe_set_data64(sqe, UserData{Op::kUdpRecv, 0, socket.index_}.pack());
  socket.armed_ = true;
}

void Shard::on_udp_recv(DatagramSocket& socket, const io_uring_cqe& cqe) noexcept {
  RxChunk chunk;
  if (cqe.flags & IORING_CQE_F_BUFFER) {
    udp_buffers_->on_taken();
    chunk = RxChunk(*udp_buffers_, static_cast<uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT),
                    cqe.res > 0 ? static_cast<uint32_t>(cqe.res) : 0);
  }
  if (!(cqe.flags & IORING_CQE_F_MORE)) socket.armed_ = false;  // re-armed at end of tick
  if (cqe.res == -ENOBUFS) ++stats_.rx_no_buffers;
  if (cqe.res <= 0 || !chunk || stopping_) return;
  // The buffer holds an io_uring_recvmsg_out header, the sender's address, then the payload.
  io_uring_recvmsg_out* out =
      io_uring_recvmsg_validate(chunk.bytes().data(), cqe.res, &socket.recv_msg_);
  if (out == nullptr || (out->flags & MSG_TRUNC) || out->namelen > sizeof(sockaddr_storage)) {
    ++stats_.udp_dropped;  // larger than a receive buffer: never echo half a datagram
    return;
  }
  ++stats_.udp_rx;
  auto* payload = static_cast<const std::byte*>(io_uring_recvmsg_payload(out, &socket.recv_msg_));
  size_t length = io_uring_recvmsg_payload_length(out, cqe.res, &socket.recv_msg_);
  socket.service_->on_datagram(socket, {payload, length},
                               static_cast<const sockaddr*>(io_uring_recvmsg_name(out)),
                               static_cast<socklen_t>(out->namelen), std::move(chunk));
}

void Shard::mark_dirty(Connection& conn) noexcept {
  if (!conn.dirty_) {
    conn.dirty_ = true;
    dirty_.push_back(&conn);
  }
}

void Shard::list_for_rearm(Connection& conn) noexcept {
  if (!conn.rearm_listed_) {
    conn.rearm_listed_ = true;
    rearm_.push_back(&conn);
  }
}

void Shard::pause_recv(Connection& conn) noexcept {
  conn.want_recv_ = false;
  ++stats_.recv_paused;
  if (conn.recv_armed_) cancel_recv(conn);
}

void Shard::cancel_recv(Connection& conn) noexcept {
  if (conn.cancel_sent_) return;
  io_uring_sqe* sqe = ring_->sqe();
  io_uring_prep_cancel64(sqe, UserData{Op::kRecv, conn.generation_, conn.index_}.pack(), 0);
  io_uring_sqe_set_data64(sqe, UserData{Op::kIgnore, 0, 0}.pack());
  conn.cancel_sent_ = true;
}

void Shard::shut_down(Connection& conn) noexcept {
  if (conn.close_mode_ == Connection::CloseMode::kAbort) {
    if (conn.abort_) return;
    reset_on_close(conn);
    conn.shut_down_ = true;
    // Ends an outstanding multishot recv (it completes with 0), even though io_uring
    // keeps its own reference to the file.
    ::shutdown(conn.fd_, SHUT_RDWR);
    return;
  }
  if (conn.shut_down_) return;
  conn.shut_down_ = true;
  // FIN after whatever the kernel still holds; the receive goes on (discarding) until the
  // peer's own FIN, or until --close-linger turns this into an abort.
  ::shutdown(conn.fd_, SHUT_WR);
}

void Shard::reset_on_close(Connection& conn) noexcept {
  // Reset rather than FIN: the kernel frees what it still holds for the peer at close(),
  // instead of keeping it in an orphaned FIN-WAIT-1 socket for as long as the peer does
  // not read (minutes, and outside --max-connections).
  linger off{1, 0};
  setsockopt(conn.fd_, SOL_SOCKET, SO_LINGER, &off, sizeof off);
  conn.abort_ = true;
  ++stats_.close_resets;
}

bool Shard::wait_for_kernel_queue(Connection& conn) noexcept {
  if (conn.abort_ || stopping_) return false;
  int unsent = 0;
  // Sent but not yet acknowledged counts too, and so does the FIN (one sequence number):
  // a FIN alone pins no memory.
  if (ioctl(conn.fd_, SIOCOUTQ, &unsent) != 0 || unsent <= 1) return false;
  if (now_ms_ >= conn.close_deadline_ms_) {
    reset_on_close(conn);  // the peer would not take its last bytes within --close-linger
    return false;
  }
  // Look again soon (the socket is shut down: nothing else will wake it).
  timers_->schedule(conn.idle_timer_, std::min(conn.close_deadline_ms_, now_ms_ + 50));
  return true;
}

void Shard::maybe_free(Connection& conn) noexcept {
  if (conn.state_ != Connection::State::kClosing || !conn.shut_down_ || conn.recv_armed_ ||
      conn.send_ != nullptr || conn.connect_inflight_) {
    return;
  }
  // A graceful close hands the socket to the kernel only once the peer has everything (or
  // the linger is over), so a closed connection never leaves an orphan holding memory.
  if (wait_for_kernel_queue(conn)) return;
  forget_fixed_file(conn);  // else the table's reference would keep the socket open
  ::close(conn.fd_);
  conn.fd_ = -1;
  conn.session_.reset();
  if (conn.refusing_) {
    conn.refusing_ = false;
    --refusing_;
  }
  if (conn.detaching()) {  // closed before it could be handed off
    std::unique_ptr<Connection::HandOff> hand_off = std::move(conn.hand_off_);
    hand_off->done(hand_off->context, -1, {});
  }
  conn.out_.clear();
  release_slot(conn);
  ++stats_.closed;
  config_.open_connections->fetch_sub(1, std::memory_order_relaxed);
}

void Connection::discard_unsent() noexcept {
  // The segments of a sendmsg in flight belong to the kernel until it completes.
  out_.drop_unsent(send_ != nullptr ? send_->msg.msg_iovlen : 0);
}

void Shard::forget_fixed_file(Connection& conn) noexcept {
  if (!conn.fixed_) return;
  conn.fixed_ = false;
  fixed_files_->remove(conn.index_);
}

Connection* Shard::find_connection(uint64_t id) noexcept {
  Connection* conn = connection_for(static_cast<uint32_t>(id), static_cast<uint32_t>(id >> 32));
  return conn != nullptr && conn->state_ == Connection::State::kOpen ? conn : nullptr;
}

Connection* Shard::connection_for(uint32_t index, uint32_t generation) noexcept {
  if (index >= connections_.size()) return nullptr;
  Connection* conn = connections_[index].get();
  if (conn->state_ == Connection::State::kFree || conn->generation_ != generation) return nullptr;
  return conn;
}

}  // namespace rg::core
