// The room hub's authentication (--auth required): tokens checked through the shard's
// cache, each member's claims, its deadlines (a first token within --handshake-timeout,
// its expiry, the --token-grace after it), and the rooms its claims allow.

#include <algorithm>
#include <ctime>
#include <functional>

#include "core/shard/clock.h"
#include "gateway/rooms/room_hub.h"

namespace rg::gateway {

namespace {

enum DeadlineKind : uint8_t { kFirstToken, kExpiry, kGrace };

int64_t wall_seconds() noexcept {
  return static_cast<int64_t>(std::time(nullptr));
}

}  // namespace

TokenCache::Verdict RoomHub::check_token(std::string_view token) noexcept {
  TokenCache::Verdict verdict;
  if (!tokens_) {
    verdict.error = proto::JwtError::kAlgorithm;  // (no key: nothing verifies)
    return verdict;
  }
  verdict = tokens_->check(token, wall_seconds());
  if (verdict.error == proto::JwtError::kExpired) {
    ++stats_.auth_expired;
  } else if (verdict.error != proto::JwtError::kNone) {
    ++stats_.auth_invalid;
  }
  if (verdict.error != proto::JwtError::kNone) {
    if (core::Shard* shard = mailbox_.shard()) {
      shard->log(core::LogLevel::kWarn, "auth_failure", proto::jwt_error_text(verdict.error));
    }
  }
  return verdict;
}

void RoomHub::grant(Member& member, SharedClaims claims) noexcept {
  member.claims_ = std::move(claims);
  member.token_expired_ = false;
  ++member.auth_generation_;
  if (member.claims_->exp != 0) {
    int64_t left_s = member.claims_->exp - wall_seconds();
    uint64_t now = core::monotonic_ms();
    schedule_auth(member, now + static_cast<uint64_t>(std::max<int64_t>(left_s, 0)) * 1000,
                  kExpiry);
  }
}

void RoomHub::schedule_auth(Member& member, uint64_t due_ms, uint8_t kind) noexcept {
  // Refreshes leave stale entries behind: past a bound they are swept out.
  if (auth_deadlines_.size() > 4 * members_.size() + 1024) {
    std::erase_if(auth_deadlines_, [&](const AuthDeadline& d) {
      auto it = members_.find(d.member);
      return it == members_.end() || it->second->auth_generation_ != d.generation;
    });
    std::make_heap(auth_deadlines_.begin(), auth_deadlines_.end(), std::greater<>());
  }
  auth_deadlines_.push_back({due_ms, member.id_, member.auth_generation_, kind});
  std::push_heap(auth_deadlines_.begin(), auth_deadlines_.end(), std::greater<>());
}

void RoomHub::run_auth_deadlines(uint64_t now_ms) noexcept {
  while (!auth_deadlines_.empty() && auth_deadlines_.front().due_ms <= now_ms) {
    std::pop_heap(auth_deadlines_.begin(), auth_deadlines_.end(), std::greater<>());
    AuthDeadline due = auth_deadlines_.back();
    auth_deadlines_.pop_back();
    auto it = members_.find(due.member);
    if (it == members_.end()) continue;
    Member& member = *it->second;
    if (member.auth_generation_ != due.generation || member.closing()) continue;  // stale
    switch (due.kind) {
      case kFirstToken:
        if (member.claims_) break;
        ++stats_.auth_missing;
        log(member, "auth_failure", "no token within --handshake-timeout");
        member.cut_off_unauthorized(false);
        break;
      case kExpiry:
        // Told once; a refresh ({"op":"auth"}) within the grace keeps the connection.
        member.token_expired_ = true;
        ++stats_.auth_expired;
        reply_error(member, member.auth_form_,
                    {proto::ErrorCode::kTokenExpired,
                     "the token expired: send {\"op\":\"auth\",\"token\":...} with a new one"},
                    {});
        schedule_auth(member, now_ms + config_.auth.grace_ms, kGrace);
        break;
      case kGrace:
        if (!member.token_expired_) break;
        log(member, "auth_failure", "the token expired and was not refreshed in time");
        member.cut_off_unauthorized(true);
        break;
    }
  }
}

void RoomHub::cut_off(Member& member, WireForm form, proto::RequestError error, std::string_view id,
                      bool expired) noexcept {
  // Raw TCP and UDP members say why in the error their cut-off sends (without the id);
  // others hear the error with its id first, then their close (WebSocket 4003 or 4001).
  if (form != WireForm::kTcp && form != WireForm::kUdp) reply_error(member, form, error, id);
  log(member, "auth_failure", error.message);
  member.cut_off_unauthorized(expired);
}

bool RoomHub::authenticated(Member& member, WireForm form, const proto::Request& request) noexcept {
  if (member.claims_ || member.trusted_) return true;
  ++stats_.auth_missing;
  cut_off(member, form,
          {proto::ErrorCode::kUnauthorized,
           "authenticate first: {\"op\":\"auth\",\"token\":...} (or ?token= on the upgrade)"},
          request.id, false);
  return false;
}

bool RoomHub::allowed(Member& member, WireForm form, const proto::Request& request,
                      bool publish) noexcept {
  if (member.trusted_ || !member.claims_) return true;
  const proto::JwtClaims& claims = *member.claims_;
  if (publish ? claims.may_publish(request.room) : claims.may_join(request.room)) return true;
  ++stats_.auth_forbidden;
  reply_error(member, form,
              {proto::ErrorCode::kForbidden, publish ? "the token does not allow publishing here"
                                                     : "the token does not allow this room"},
              request.id);
  return false;
}

void RoomHub::auth(Member& member, WireForm form, const proto::Request& request) noexcept {
  if (!tokens_) {
    return reply_error(member, form,
                       {proto::ErrorCode::kBadRequest, "authentication is off (--auth off)"},
                       request.id);
  }
  TokenCache::Verdict verdict = check_token(request.token);
  if (verdict.error != proto::JwtError::kNone) {
    bool expired = verdict.error == proto::JwtError::kExpired;
    proto::RequestError error{
        expired ? proto::ErrorCode::kTokenExpired : proto::ErrorCode::kUnauthorized,
        proto::jwt_error_text(verdict.error)};
    // A member already in (refreshing) keeps its grace; one without a token is cut off.
    if (member.claims_) return reply_error(member, form, error, request.id);
    return cut_off(member, form, error, request.id, expired);
  }
  if (member.claims_ && member.claims_->sub != verdict.claims->sub) {
    ++stats_.auth_invalid;
    return reply_error(member, form,
                       {proto::ErrorCode::kUnauthorized, "a refresh must be for the same sub"},
                       request.id);
  }
  member.auth_form_ = form;
  grant(member, verdict.claims);
  reply_auth(member, form, *member.claims_, request.id);
}

}  // namespace rg::gateway
