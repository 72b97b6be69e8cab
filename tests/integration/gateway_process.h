#pragma once
// Runs the real ringgate binary for a test: on loopback, port 0, output captured.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace rg::testing {

// The path of the binary under test (set by CMake).
const char* ringgate_binary();

struct ProcessResult {
  bool exited = false;  // false: still running after the timeout (then killed)
  int exit_code = -1;
  int signal = 0;
  std::string stdout_text;
  std::string stderr_text;
};

// Runs a command to completion (at most `timeout`), capturing its output.
ProcessResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

class GatewayProcess {
 public:
  // Starts `ringgate --bind 127.0.0.1 --tcp-port 0 --udp-port 0 ...args` (all ports 0, the
  // echo listeners on) and waits for its
  // start-up line. Fails the test (ADD_FAILURE) and leaves ports 0 if it does not come.
  // `launcher`, when given, runs the binary: its argv comes first (e.g. a seccomp wrapper
  // that execs what follows, so the process is still the gateway).
  explicit GatewayProcess(std::vector<std::string> args = {},
                          std::vector<std::string> launcher = {});
  ~GatewayProcess();
  GatewayProcess(const GatewayProcess&) = delete;
  GatewayProcess& operator=(const GatewayProcess&) = delete;

  bool started() const { return tcp_port_ != 0; }
  uint16_t tcp_port() const { return tcp_port_; }
  uint16_t udp_port() const { return udp_port_; }
  uint16_t ws_port() const { return ws_port_; }
  uint16_t tcp_echo_port() const { return tcp_echo_port_; }
  uint16_t udp_echo_port() const { return udp_echo_port_; }
  const std::string& host() const { return host_; }
  pid_t pid() const { return pid_; }

  // Sends `signal` and waits up to `timeout` for the exit. nullopt: it did not exit.
  std::optional<int> stop(int signal, std::chrono::milliseconds timeout);
  std::string stderr_text();
  // Resident memory of the process, in KiB.
  long rss_kib() const;
  // The per-shard counters printed at exit: one map per shard.
  std::vector<std::map<std::string, uint64_t>> shard_stats();
  // A counter summed over all shards.
  uint64_t total(const std::string& counter);

 private:
  void drain(int fd, std::string& into);

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string host_;
  uint16_t tcp_port_ = 0;
  uint16_t udp_port_ = 0;
  uint16_t ws_port_ = 0;
  uint16_t tcp_echo_port_ = 0;
  uint16_t udp_echo_port_ = 0;
  std::mutex mutex_;
  std::string stdout_;
  std::string stderr_;
  std::thread out_reader_;
  std::thread err_reader_;
  bool exited_ = false;
};

// A connected TCP socket on loopback whose reads and writes time out after 10 s; -1 on
// failure.
int connect_tcp(uint16_t port, const char* host = "127.0.0.1");
// A TCP listener on 127.0.0.1 at a port the kernel picks (stored in `port`); `flags` are
// added to the socket type (SOCK_NONBLOCK...). -1 on failure.
int listen_loopback(uint16_t& port, int flags = 0);
bool send_all(int fd, const void* data, size_t size);
bool read_exact(int fd, void* out, size_t size);
// True when the peer closed (EOF or reset) within the timeout; reads and drops data.
bool closed_by_peer(int fd, std::chrono::milliseconds timeout);

// A blocking TCP client speaking the length-prefixed frames; every read times out.
class FrameClient {
 public:
  explicit FrameClient(uint16_t port, const char* host = "127.0.0.1");
  ~FrameClient();
  FrameClient(const FrameClient&) = delete;
  FrameClient& operator=(const FrameClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  bool send_all(const void* data, size_t size);
  bool send_frame(const std::string& payload);
  // The next frame's payload; nullopt on EOF, error or timeout.
  std::optional<std::string> read_frame();
  // True when the server closed the connection (EOF or reset) within the timeout.
  bool closed_by_peer(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Closes with a RST instead of a FIN.
  void reset();
  void close();

 private:
  bool read_exact(void* out, size_t size);
  int fd_ = -1;
};

std::string frame_bytes(const std::string& payload);
std::string random_payload(size_t size, uint32_t seed);

}  // namespace rg::testing
