#pragma once
// One server API request waiting for its answer: from the room hub (a publish's ack, a
// presence list, a history: the call is a member of no room, attached to the hub for the
// length of the request) or from other shards (a disconnect, the busiest rooms). It holds
// its HTTP request (FrontDoor::hold) and answers it once: with the result, an error, or
// 503 when nothing came within the API's timeout. Owned by its ApiService.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/shard/timer_wheel.h"
#include "gateway/http/front_door.h"
#include "gateway/rooms/member.h"
#include "gateway/rooms/room_owner.h"

namespace rg::gateway {

class ApiService;

class ApiCall final : public Member, private HeldRequest {
 public:
  enum class Kind : uint8_t { kPublish, kHistory, kPresence, kDisconnect, kRooms };

  // For `door`'s request; `number` names the call in bus answers. Answers that come while
  // the request is being dispatched are sent at once; then wait() holds the request (a
  // held request must not be answered during its own dispatch: the door would go on to
  // the next one under the caller's feet).
  ApiCall(ApiService& service, FrontDoor& door, uint64_t number) noexcept;
  void wait() noexcept;
  ~ApiCall() override;
  ApiCall(const ApiCall&) = delete;
  ApiCall& operator=(const ApiCall&) = delete;

  uint64_t number() const noexcept { return number_; }
  // What it waits for. A hub call attaches it to the service's hub first.
  void expect(Kind kind) noexcept;
  // kRooms: the figures of `shards` shards are awaited, then the `limit` busiest answered.
  void expect_rooms(unsigned shards, size_t limit) noexcept;
  bool answered() const noexcept { return door_ == nullptr; }

  // Answers from other shards.
  void on_disconnected(bool found) noexcept;
  void on_rooms(std::vector<OwnedRooms::RoomFigures>&& rooms) noexcept;

  // Member (the hub's answers)
  size_t queued_bytes() const noexcept override { return 0; }
  bool send_encoded(const core::BlockRef&, size_t, size_t) noexcept override { return false; }
  void send_reply(WireForm form, std::span<const std::byte> body) noexcept override;
  void cut_off_slow() noexcept override {}
  void disconnect() noexcept override {}
  void on_history(const RoomMessage& history) noexcept override;

 private:
  void answer_result(std::string_view result_json) noexcept;
  void answer_error(int status, std::string_view code, std::string_view message) noexcept;
  void done() noexcept;
  static void on_timeout(void* self) noexcept;
  // HeldRequest
  void on_front_door_gone(FrontDoor& door) noexcept override;

  ApiService& service_;
  FrontDoor* door_;
  uint64_t number_;
  Kind kind_ = Kind::kPublish;
  bool attached_ = false;
  unsigned shards_waited_ = 0;
  size_t rooms_limit_ = 0;
  std::vector<OwnedRooms::RoomFigures> rooms_;
  core::Timer timeout_;
};

}  // namespace rg::gateway
