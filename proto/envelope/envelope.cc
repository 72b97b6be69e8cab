#include "proto/envelope/envelope.h"

namespace rg::proto {

const char* error_code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kNone:
      return "none";
    case ErrorCode::kBadJson:
      return "bad_json";
    case ErrorCode::kBadRequest:
      return "bad_request";
    case ErrorCode::kUnknownOp:
      return "unknown_op";
    case ErrorCode::kBadRoom:
      return "bad_room";
    case ErrorCode::kBadId:
      return "bad_id";
    case ErrorCode::kTooLarge:
      return "too_large";
    case ErrorCode::kTooManyRooms:
      return "too_many_rooms";
    case ErrorCode::kNotJoined:
      return "not_joined";
    case ErrorCode::kBusy:
      return "busy";
    case ErrorCode::kBadCookie:
      return "bad_cookie";
    case ErrorCode::kHelloFirst:
      return "hello_first";
    case ErrorCode::kSlowConsumer:
      return "slow_consumer";
    case ErrorCode::kTimeout:
      return "timeout";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kDraining:
      return "draining";
    case ErrorCode::kDisconnected:
      return "disconnected";
    case ErrorCode::kRateLimited:
      return "rate_limited";
    case ErrorCode::kUnauthorized:
      return "unauthorized";
    case ErrorCode::kTokenExpired:
      return "token_expired";
    case ErrorCode::kForbidden:
      return "forbidden";
  }
  return "unknown";
}

bool is_valid_room_name(std::string_view room) noexcept {
  if (room.empty() || room.size() > kMaxRoomBytes) return false;
  for (char c : room) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool is_valid_event_name(std::string_view event) noexcept {
  if (event.empty() || event.size() > kMaxEventBytes) return false;
  for (char c : event) {
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return false;
  }
  return true;
}

}  // namespace rg::proto
