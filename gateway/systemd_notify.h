#pragma once
// systemd's notify protocol (sd_notify(3)): one datagram of "KEY=VALUE" lines to the
// socket $NOTIFY_SOCKET names (a path, or "@" for an abstract one). A unit with
// Type=notify hears READY=1 once every shard serves, STATUS= lines, and STOPPING=1 when a
// drain begins. Without $NOTIFY_SOCKET (not started by systemd) it does nothing. About 30
// lines, so no libsystemd for it.

#include <string_view>

namespace rg::gateway {

// Sends `state` (e.g. "READY=1\nSTATUS=serving"); false when not under systemd or the
// datagram could not be sent. Start-up and shutdown only (a system call each).
bool notify_systemd(std::string_view state) noexcept;

}  // namespace rg::gateway
