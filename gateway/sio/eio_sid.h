#pragma once
// Engine.IO session ids: 16 bytes in URL-safe base64 without padding (22 characters): the
// first byte names the session's home shard, the other 15 are from OpenSSL's random
// generator (120 bits: a sid cannot be guessed, and whoever holds one holds the session).

#include <string>
#include <string_view>

namespace rg::gateway {

// A new sid whose home is `shard` (< 256).
std::string issue_sid(unsigned shard);
// The home shard a sid names, or -1 when it is not one of ours (for `shards` shards).
int sid_home(std::string_view sid, unsigned shards) noexcept;

}  // namespace rg::gateway
