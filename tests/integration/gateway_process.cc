#include "tests/integration/gateway_process.h"

#include "core/net/host.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

extern char** environ;

namespace rg::testing {

using namespace std::chrono_literals;

const char* ringgate_binary() {
  return RINGGATE_BINARY;
}

namespace {

pid_t spawn(const std::vector<std::string>& argv, int& out_fd, int& err_fd) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) return -1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  ::close(err[1]);
  out_fd = out[0];
  err_fd = err[0];
  return pid;
}

// waitpid with a deadline; returns the status, or nullopt if still running.
std::optional<int> wait_for(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0) return std::nullopt;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
}

}  // namespace

ProcessResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  ProcessResult result;
  int out_fd = -1, err_fd = -1;
  pid_t pid = spawn(argv, out_fd, err_fd);
  if (pid < 0) return result;
  std::thread out_reader([&] {
    char buf[4096];
    ssize_t n;
    while ((n = read(out_fd, buf, sizeof buf)) > 0) result.stdout_text.append(buf, n);
  });
  std::thread err_reader([&] {
    char buf[4096];
    ssize_t n;
    while ((n = read(err_fd, buf, sizeof buf)) > 0) result.stderr_text.append(buf, n);
  });
  std::optional<int> status = wait_for(pid, timeout);
  if (!status) {
    kill(pid, SIGKILL);
    status = wait_for(pid, 5s);
  } else {
    result.exited = true;
  }
  out_reader.join();
  err_reader.join();
  ::close(out_fd);
  ::close(err_fd);
  if (status && WIFEXITED(*status)) result.exit_code = WEXITSTATUS(*status);
  if (status && WIFSIGNALED(*status)) result.signal = WTERMSIG(*status);
  return result;
}

GatewayProcess::GatewayProcess(std::vector<std::string> args, std::vector<std::string> launcher) {
  std::vector<std::string> argv = {ringgate_binary(),
                                   "--tcp-port",
                                   "0",
                                   "--udp-port",
                                   "0",
                                   "--ws-port",
                                   "0",
                                   "--admin-port",
                                   "0",
                                   "--tcp-echo-port",
                                   "0",
                                   "--udp-echo-port",
                                   "0"};
  if (std::find(args.begin(), args.end(), "--bind") == args.end()) {
    argv.insert(argv.end(), {"--bind", "127.0.0.1"});
  }
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.begin(), launcher.begin(), launcher.end());
  pid_ = spawn(argv, out_fd_, err_fd_);
  if (pid_ < 0) {
    ADD_FAILURE() << "cannot start " << ringgate_binary();
    return;
  }
  out_reader_ = std::thread([this] { drain(out_fd_, stdout_); });
  err_reader_ = std::thread([this] { drain(err_fd_, stderr_); });
  static const std::regex line(
      R"(ringgate listening tcp=(\S+):(\d+) udp=\S+:(\d+) ws=\S+:(\d+) tcp-echo=\S+:(\d+) udp-echo=\S+:(\d+))");
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mutex_);
      std::smatch m;
      if (std::regex_search(stdout_, m, line)) {
        host_ = m[1];
        tcp_port_ = static_cast<uint16_t>(std::stoi(m[2]));
        udp_port_ = static_cast<uint16_t>(std::stoi(m[3]));
        ws_port_ = static_cast<uint16_t>(std::stoi(m[4]));
        tcp_echo_port_ = static_cast<uint16_t>(std::stoi(m[5]));
        udp_echo_port_ = static_cast<uint16_t>(std::stoi(m[6]));
        return;
      }
    }
    if (wait_for(pid_, 0ms)) {
      exited_ = true;
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  ADD_FAILURE() << "ringgate did not start; stderr: " << stderr_text();
}

GatewayProcess::~GatewayProcess() {
  if (pid_ > 0 && !exited_) {
    kill(pid_, SIGKILL);
    wait_for(pid_, 5s);
  }
  if (out_reader_.joinable()) out_reader_.join();
  if (err_reader_.joinable()) err_reader_.join();
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
}

void GatewayProcess::drain(int fd, std::string& into) {
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) {
    std::lock_guard lock(mutex_);
    into.append(buf, static_cast<size_t>(n));
  }
}

std::optional<int> GatewayProcess::stop(int signal, std::chrono::milliseconds timeout) {
  if (pid_ <= 0 || exited_) return std::nullopt;
  kill(pid_, signal);
  std::optional<int> status = wait_for(pid_, timeout);
  if (!status) return std::nullopt;
  exited_ = true;
  if (out_reader_.joinable()) out_reader_.join();
  if (err_reader_.joinable()) err_reader_.join();
  if (WIFEXITED(*status)) return WEXITSTATUS(*status);
  return 128 + WTERMSIG(*status);
}

std::string GatewayProcess::stderr_text() {
  std::lock_guard lock(mutex_);
  return stderr_;
}

long GatewayProcess::rss_kib() const {
  return core::resident_kib(pid_);
}

std::vector<std::map<std::string, uint64_t>> GatewayProcess::shard_stats() {
  std::vector<std::map<std::string, uint64_t>> shards;
  std::istringstream in(stderr_text());
  std::string line;
  static const std::regex pair(R"((\w+)=(\d+))");
  while (std::getline(in, line)) {
    if (line.rfind("ringgate shard=", 0) != 0) continue;
    std::map<std::string, uint64_t> counters;
    for (std::sregex_iterator it(line.begin(), line.end(), pair), end; it != end; ++it) {
      counters[(*it)[1]] = std::stoull((*it)[2]);
    }
    shards.push_back(counters);
  }
  return shards;
}

uint64_t GatewayProcess::total(const std::string& counter) {
  uint64_t sum = 0;
  for (auto& shard : shard_stats()) sum += shard[counter];
  return sum;
}

int listen_loopback(uint16_t& port, int flags) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 16) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  port = ntohs(a.sin_port);
  return fd;
}

int connect_tcp(uint16_t port, const char* host) {
  sockaddr_storage address{};
  socklen_t length;
  int family = std::strchr(host, ':') ? AF_INET6 : AF_INET;
  if (family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&address);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    inet_pton(AF_INET6, host, &a->sin6_addr);
    length = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&address);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    inet_pton(AF_INET, host, &a->sin_addr);
    length = sizeof *a;
  }
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{10, 0};  // every read and write is bounded
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), length) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const void* data, size_t size) {
  auto* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::send(fd, p, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool read_exact(int fd, void* out, size_t size) {
  auto* p = static_cast<char*>(out);
  while (size > 0) {
    ssize_t n = ::recv(fd, p, size, 0);
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool closed_by_peer(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    if (poll(&p, 1, 50) == 1) {
      ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0) return true;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return true;  // reset
    }
  }
  return false;
}

FrameClient::FrameClient(uint16_t port, const char* host) : fd_(connect_tcp(port, host)) {}

FrameClient::~FrameClient() {
  close();
}

void FrameClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void FrameClient::reset() {
  linger l{1, 0};
  setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close();
}

bool FrameClient::send_all(const void* data, size_t size) {
  return rg::testing::send_all(fd_, data, size);
}

bool FrameClient::send_frame(const std::string& payload) {
  std::string wire = frame_bytes(payload);
  return send_all(wire.data(), wire.size());
}

bool FrameClient::read_exact(void* out, size_t size) {
  return rg::testing::read_exact(fd_, out, size);
}

std::optional<std::string> FrameClient::read_frame() {
  unsigned char header[4];
  if (!read_exact(header, 4)) return std::nullopt;
  uint32_t length = header[0] | header[1] << 8 | header[2] << 16 | uint32_t{header[3]} << 24;
  std::string payload(length, '\0');
  if (length > 0 && !read_exact(payload.data(), length)) return std::nullopt;
  return payload;
}

bool FrameClient::closed_by_peer(std::chrono::milliseconds timeout) {
  return rg::testing::closed_by_peer(fd_, timeout);
}

std::string frame_bytes(const std::string& payload) {
  std::string wire(4, '\0');
  auto n = static_cast<uint32_t>(payload.size());
  for (int i = 0; i < 4; ++i) wire[i] = static_cast<char>(n >> (8 * i));
  return wire + payload;
}

std::string random_payload(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(size, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

}  // namespace rg::testing
