#include "gateway/sessions/session_table.h"

#include <openssl/rand.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace rg::gateway {

namespace {

void put_u64(std::string& out, uint64_t v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}
void put_text(std::string& out, std::string_view s) {  // u32 length + bytes
  auto n = static_cast<uint32_t>(s.size());
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  out.append(s);
}

class Reader {
 public:
  explicit Reader(std::string_view bytes) : rest_(bytes) {}
  bool u64(uint64_t& v) {
    if (rest_.size() < sizeof v) return false;
    std::memcpy(&v, rest_.data(), sizeof v);
    rest_.remove_prefix(sizeof v);
    return true;
  }
  bool u8(uint8_t& v) {
    if (rest_.empty()) return false;
    v = static_cast<uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return true;
  }
  bool text(std::string& out) {
    uint32_t n;
    if (rest_.size() < sizeof n) return false;
    std::memcpy(&n, rest_.data(), sizeof n);
    rest_.remove_prefix(sizeof n);
    if (rest_.size() < n) return false;
    out.assign(rest_.data(), n);
    rest_.remove_prefix(n);
    return true;
  }
  bool done() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

}  // namespace

std::string SessionRecord::serialize() const {
  std::string out;
  put_u64(out, rooms.size());
  for (const SessionRoom& r : rooms) {
    put_text(out, r.room);
    put_u64(out, r.last_seq);
    put_text(out, r.epoch);
    put_text(out, r.info);
    out += static_cast<char>(r.presence);
    out += static_cast<char>(r.form);
    put_u64(out, r.first_seq);
  }
  put_text(out, name);
  put_u64(out, runs.size());
  for (const SessionRun& run : runs) {
    put_u64(out, run.room_hash);
    put_u64(out, run.first);
    put_u64(out, run.last);
  }
  out += static_cast<char>(runs_complete);
  return out;
}

std::optional<SessionRecord> SessionRecord::parse(std::string_view bytes) {
  Reader in(bytes);
  uint64_t count;
  if (!in.u64(count) || count > bytes.size()) return std::nullopt;
  SessionRecord record;
  record.rooms.resize(count);
  for (SessionRoom& r : record.rooms) {
    uint8_t presence, form;
    if (!in.text(r.room) || !in.u64(r.last_seq) || !in.text(r.epoch) || !in.text(r.info) ||
        !in.u8(presence) || !in.u8(form) || form >= kWireForms || !in.u64(r.first_seq)) {
      return std::nullopt;
    }
    r.presence = presence != 0;
    r.form = static_cast<WireForm>(form);
  }
  uint64_t runs = 0;
  uint8_t complete = 0;
  if (!in.text(record.name) || !in.u64(runs) || runs > bytes.size()) return std::nullopt;
  record.runs.resize(runs);
  for (SessionRun& run : record.runs) {
    if (!in.u64(run.room_hash) || !in.u64(run.first) || !in.u64(run.last)) return std::nullopt;
  }
  if (!in.u8(complete)) return std::nullopt;
  record.runs_complete = complete != 0;
  if (!in.done()) return std::nullopt;
  return record;
}

SessionTable::SessionTable(unsigned shard, size_t max_sessions, uint64_t ttl_ms)
    : shard_(shard), max_sessions_(max_sessions), ttl_ms_(ttl_ms) {}

std::string SessionTable::issue() {
  // A token is a bearer credential: 128 bits from OpenSSL's generator, not a PRNG whose
  // state its outputs give away.
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) std::abort();  // no randomness: nothing is safe
  char token[48];
  int n = std::snprintf(token, sizeof token, "%u-", shard_);
  for (unsigned char b : bytes) n += std::snprintf(token + n, sizeof token - n, "%02x", b);
  return std::string(token, static_cast<size_t>(n));
}

int SessionTable::home_of(std::string_view token, unsigned shards) noexcept {
  unsigned shard = 0;
  auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), shard);
  if (error != std::errc() || end == token.data() || end == token.data() + token.size() ||
      *end != '-' || shard >= shards) {
    return -1;
  }
  return static_cast<int>(shard);
}

LiveSession& SessionTable::open(uint64_t member) {
  LiveSession& session = live_[member];
  session = LiveSession{};
  session.token = issue();
  return session;
}

void SessionTable::close(uint64_t member, std::optional<SessionRecord> record, uint64_t now_ms) {
  auto it = live_.find(member);
  if (it == live_.end()) return;
  if (record) keep(std::move(it->second.token), std::move(*record), now_ms);
  live_.erase(it);
}

void SessionTable::keep(std::string token, SessionRecord record, uint64_t now_ms) {
  if (!enabled()) return;
  uint64_t expires = now_ms + ttl_ms_;
  order_.emplace_back(token, expires);
  records_[std::move(token)] = Kept{std::move(record), expires};
  // The oldest go first; entries of records taken back early linger in order_ until they
  // come up, so it is bounded too (at twice the records).
  while (!order_.empty() &&
         (records_.size() > max_sessions_ || order_.size() > 2 * max_sessions_)) {
    auto it = records_.find(order_.front().first);
    if (it != records_.end() && it->second.expires_ms == order_.front().second) records_.erase(it);
    order_.pop_front();
  }
}

std::optional<SessionRecord> SessionTable::take(std::string_view token, uint64_t now_ms) {
  auto it = records_.find(std::string(token));
  if (it == records_.end()) return std::nullopt;
  if (it->second.expires_ms <= now_ms) {
    records_.erase(it);
    return std::nullopt;
  }
  SessionRecord record = std::move(it->second.record);
  records_.erase(it);  // its entry in order_ is stale now: skipped when it comes up
  return record;
}

void SessionTable::expire(uint64_t now_ms) {
  while (!order_.empty() && order_.front().second <= now_ms) {
    auto it = records_.find(order_.front().first);
    if (it != records_.end() && it->second.expires_ms == order_.front().second) records_.erase(it);
    order_.pop_front();
  }
}

}  // namespace rg::gateway
