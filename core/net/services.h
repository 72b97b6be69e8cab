#pragma once
// What a protocol plugs into the runtime: a StreamService per TCP listener per shard makes a
// StreamSession for each accepted connection; a DatagramService handles a UDP socket.
// Calls come from the shard's thread only and must not throw.

#include <sys/socket.h>

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>

#include "core/io/buffer_ring.h"

namespace rg::core {

class Connection;
class DatagramSocket;

class StreamSession {
 public:
  virtual ~StreamSession() = default;
  // Bytes received on `conn`, in order. The span is valid during this call only: whatever
  // must outlive it (a partial frame) is copied out by the session. The bytes are the
  // session's to modify in place (unmasking, writing a reply header in front of a payload).
  virtual void on_bytes(Connection& conn, std::span<std::byte> bytes) noexcept = 0;
  // Nothing was received for --idle-timeout. The default closes gracefully; a protocol
  // may first say why (a WebSocket close frame).
  virtual void on_idle(Connection& conn) noexcept;
  // The server is stopping; everything owed to the peer has been queued. The default
  // closes gracefully (what is queued is still sent); a protocol may first say why (a
  // WebSocket close 1001).
  virtual void on_shutdown(Connection& conn) noexcept;
};

class StreamService {
 public:
  virtual ~StreamService() = default;
  // A connection was accepted, or an outbound one was established.
  virtual std::unique_ptr<StreamSession> open(Connection& conn) noexcept = 0;
  // An outbound connection could not be established (`error` is an errno value).
  virtual void on_connect_failed(int error) noexcept { (void)error; }
  // What tells a peer, in this protocol, that the server is full: sent to connections
  // refused past --max-connections or while the process is out of descriptors. Empty:
  // such connections are closed without a word. Lives as long as the service.
  virtual std::string_view refusal() const noexcept { return {}; }
  // What tells a peer that its address has too many connections, or opens them too fast
  // (WebSocket: 429). Empty: closed at once without a word (raw TCP).
  virtual std::string_view address_refusal() const noexcept { return {}; }
};

class DatagramService {
 public:
  virtual ~DatagramService() = default;
  // The socket is set up on its shard: a client may start sending.
  virtual void on_ready(DatagramSocket& socket) noexcept { (void)socket; }
  // One datagram from `from`. The service owns `chunk` (the receive buffer holding
  // `payload`) and may keep it, for instance until a reply sent from it has left.
  virtual void on_datagram(DatagramSocket& socket, std::span<const std::byte> payload,
                           const sockaddr* from, socklen_t from_length, RxChunk chunk) noexcept = 0;
};

}  // namespace rg::core
