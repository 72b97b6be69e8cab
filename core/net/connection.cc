#include "core/net/connection.h"

#include "core/shard/shard.h"

namespace rg::core {

Connection::Connection(Shard& shard, uint32_t index) noexcept
    : shard_(&shard), idle_timer_(&Connection::on_idle_timer, this), index_(index) {}

Connection::~Connection() = default;

ShardStats& Connection::stats() noexcept {
  return shard_->stats_;
}

size_t Connection::backlog_bytes() const noexcept {
  return out_.bytes() + (kernel_full_ ? shard_->kernel_sndbuf_ : 0);
}

void Connection::send_copy(std::span<const std::byte> bytes) noexcept {
  if (state_ != State::kOpen) return;
  out_.append_copy(bytes);
  queued();
}

void Connection::send_shared(const BlockRef& block, size_t offset, size_t length) noexcept {
  if (state_ != State::kOpen) return;
  out_.append_shared(block, offset, length);
  queued();
}

void Connection::queued() noexcept {
  shard_->mark_dirty(*this);
  // Back-pressure: a peer that does not read what it asked for stops being read from.
  if (want_recv_ && out_.bytes() > shard_->config_.max_outbuf) shard_->pause_recv(*this);
}

void Connection::detach(Detached done, void* context,
                        std::span<const std::byte> unconsumed) noexcept {
  if (state_ != State::kOpen || detaching()) {
    done(context, -1, {});
    return;
  }
  Shard& shard = *shard_;
  hand_off_.reset(new HandOff{done, context, {unconsumed.begin(), unconsumed.end()}});
  want_recv_ = false;
  if (recv_armed_) shard.cancel_recv(*this);
  shard.timers_->schedule(idle_timer_, shard.now_ms_ + shard.config_.close_linger_ms);
  shard.maybe_detach(*this);
}

void Connection::hold_reads() noexcept {
  if (held_ || state_ != State::kOpen) return;
  held_ = true;
  if (want_recv_) shard_->pause_recv(*this);
}

void Connection::release_reads() noexcept {
  if (!held_) return;
  held_ = false;
  if (state_ == State::kOpen && !detaching() && !want_recv_ &&
      out_.bytes() <= shard_->config_.max_outbuf / 2) {
    want_recv_ = true;
    if (!recv_armed_) shard_->list_for_rearm(*this);
  }
}

void Connection::fail_protocol() noexcept {
  if (state_ != State::kOpen) return;
  ++shard_->stats_.protocol_errors;
  close(CloseMode::kGraceful);
}

void Connection::close(CloseMode mode) noexcept {
  if (state_ == State::kFree) return;
  if (state_ == State::kClosing &&
      (close_mode_ == CloseMode::kAbort || mode == CloseMode::kGraceful)) {
    return;
  }
  Shard& shard = *shard_;
  if (connect_inflight_) shard.cancel_connect(*this);
  state_ = State::kClosing;
  close_mode_ = mode;
  want_recv_ = false;
  shard.timers_->cancel(idle_timer_);
  close_deadline_ms_ = shard.now_ms_ + shard.config_.close_linger_ms;
  if (mode == CloseMode::kAbort) {
    // Bytes of an in-flight send must stay alive until its completion; on_send drops them.
    if (send_ == nullptr) out_.clear();
    shard.shut_down(*this);
  } else {
    // A lingering close: the receive goes on, throwing its bytes away, until the peer's
    // FIN. Input left unread would make close() send a reset, and a reset can destroy
    // what was sent last (a close frame, an error) before the peer has read it.
    if (!recv_armed_ && !peer_eof_) shard.list_for_rearm(*this);
    if (out_.empty() && send_ == nullptr) {
      shard.shut_down(*this);
    } else {
      shard.mark_dirty(*this);
    }
    // The peer gets --close-linger to take the last bytes and to finish; then a reset.
    shard.timers_->schedule(idle_timer_, close_deadline_ms_);
  }
  shard.maybe_free(*this);
}

void Connection::on_idle_timer(void* self) noexcept {
  Connection& conn = *static_cast<Connection*>(self);
  Shard& shard = *conn.shard_;
  if (conn.state_ == State::kClosing) {
    if (conn.close_mode_ == CloseMode::kGraceful && shard.now_ms_ < conn.close_deadline_ms_) {
      // Shut down, looking again whether the kernel has handed the peer its last bytes.
      shard.maybe_free(conn);
      return;
    }
    // A graceful close whose peer would not take its last bytes, or finish, in time.
    conn.close(CloseMode::kAbort);
    return;
  }
  if (conn.state_ != State::kOpen) return;
  if (conn.detaching()) {
    // Its output would not leave within --close-linger: the hand-off fails.
    conn.close(CloseMode::kAbort);
    return;
  }
  uint64_t deadline = conn.last_rx_ms_ + shard.config_.idle_timeout_ms;
  if (shard.now_ms_ >= deadline) {
    ++shard.stats_.idle_timeouts;
    conn.session_->on_idle(conn);
    conn.close(CloseMode::kGraceful);  // in case the session did not
  } else {
    shard.timers_->schedule(conn.idle_timer_, deadline);
  }
}

void StreamSession::on_idle(Connection& conn) noexcept {
  conn.close(Connection::CloseMode::kGraceful);
}

void StreamSession::on_shutdown(Connection& conn) noexcept {
  conn.close(Connection::CloseMode::kGraceful);
}

}  // namespace rg::core
