#pragma once

namespace rg::gateway {
inline constexpr const char* kVersion = "0.1.0";
}
