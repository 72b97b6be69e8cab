#pragma once
// Socket.IO recovery's arithmetic: where a client stood in every room of its session,
// from the one offset it gives back (the last event it received) and the runs of messages
// the gateway handed it (gateway/sessions/session_table.h). Pure, so it is unit-tested.

#include <cstdint>
#include <optional>
#include <vector>

#include "gateway/sessions/session_table.h"

namespace rg::gateway {

struct SioOffset {
  uint64_t room_hash;
  uint64_t seq;
};

// For each room of `record`, in order, the last seq the client has: the offset's own seq
// in its room; in every other room, the seq before the first run handed after the
// offset's run (all of that may have been lost), or the last handed if none was. Without
// an offset (nothing received), each room's seq when it was joined, if no run was
// forgotten since. Nothing when the record cannot tell: no rooms, an offset among no run
// kept, a room whose join was never answered.
std::optional<std::vector<uint64_t>> recovery_positions(const SessionRecord& record,
                                                        std::optional<SioOffset> offset);

}  // namespace rg::gateway
