#include "core/log.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>

namespace rg::core {

namespace {

uint64_t unix_ms() noexcept {
  using namespace std::chrono;
  return static_cast<uint64_t>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

void copy_text(char* out, size_t size, std::string_view text) noexcept {
  size_t n = std::min(text.size(), size - 1);
  std::memcpy(out, text.data(), n);
  out[n] = '\0';
}

const char* level_name(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

void json_escaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
}

}  // namespace

bool ShardLog::open(uint64_t now_ms) noexcept {
  const uint64_t cap = uint64_t{limits_.burst} * 1000;
  if (last_ms_ == 0) {
    tokens_ = cap;
  } else if (now_ms > last_ms_) {
    tokens_ = std::min(cap, tokens_ + (now_ms - last_ms_) * limits_.lines_per_s);
  }
  last_ms_ = now_ms;
  if (tokens_ >= 1000) return true;
  dropped_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

bool ShardLog::log(LogLevel level, std::string_view event, std::string_view detail,
                   uint64_t now_ms) noexcept {
  if (!open(now_ms)) return false;
  LogEntry entry;
  entry.unix_ms = unix_ms();
  entry.level = level;
  entry.shard = static_cast<uint16_t>(shard_);
  copy_text(entry.event, sizeof entry.event, event);
  copy_text(entry.detail, sizeof entry.detail, detail);
  if (!ring_.try_push(entry)) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  tokens_ -= 1000;
  return true;
}

Logger::Logger(bool json, unsigned shards, const LogLimits& limits) : json_(json) {
  for (unsigned i = 0; i < shards; ++i) shards_.push_back(std::make_unique<ShardLog>(i, limits));
}

Logger::~Logger() {
  stop();
}

void Logger::print(const LogEntry& entry, bool from_shard) noexcept {
  print(entry.unix_ms, entry.level, from_shard ? entry.shard : -1, entry.event, entry.detail);
}

void Logger::print(uint64_t ms, LogLevel level, int shard, std::string_view event,
                   std::string_view detail) noexcept {
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[80];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<unsigned>(ms % 1000));
  std::string line;
  if (json_) {
    line = "{\"ts\":\"";
    line += stamp;
    line += "\",\"level\":\"";
    line += level_name(level);
    line += "\",\"event\":\"";
    json_escaped(line, event);
    line += '"';
    if (shard >= 0) line += ",\"shard\":" + std::to_string(shard);
    line += ",\"msg\":\"";
    json_escaped(line, detail);
    line += "\"}\n";
  } else {
    // Text: the event's name in front of its detail.
    line = "ringgate: ";
    if (shard >= 0) line += "shard " + std::to_string(shard) + ": ";
    if (level != LogLevel::kInfo) {
      line += level_name(level);
      line += ": ";
    }
    line += event;
    if (!detail.empty()) {
      line += ": ";
      line += detail;
    }
    line += '\n';
  }
  std::fwrite(line.data(), 1, line.size(), stderr);
}

void Logger::write(LogLevel level, std::string_view event, std::string_view detail) noexcept {
  print(unix_ms(), level, -1, event, detail);
  std::fflush(stderr);
}

void Logger::drain() noexcept {
  for (auto& shard : shards_) {
    LogEntry entry;
    while (shard->ring_.try_pop(entry)) print(entry, true);
    uint64_t dropped = shard->dropped_.exchange(0, std::memory_order_relaxed);
    if (dropped > 0) {
      LogEntry note;
      note.unix_ms = unix_ms();
      note.level = LogLevel::kWarn;
      note.shard = static_cast<uint16_t>(shard->shard_);
      copy_text(note.event, sizeof note.event, "log_dropped");
      std::string detail = std::to_string(dropped) + " lines dropped (over the log's rate)";
      copy_text(note.detail, sizeof note.detail, detail);
      print(note, true);
    }
  }
  std::fflush(stderr);
}

void Logger::start() {
  running_.store(true, std::memory_order_release);
  writer_ = std::thread([this] {
    while (running_.load(std::memory_order_acquire)) {
      drain();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    drain();
  });
}

void Logger::stop() noexcept {
  if (!writer_.joinable()) return;
  running_.store(false, std::memory_order_release);
  writer_.join();
}

}  // namespace rg::core
