#pragma once
// The admin listener's dashboard (gateway/dashboard/): its page, script and style, and
// uPlot from npm (pinned by gateway/dashboard/package-lock.json), embedded at build time
// by gateway/dashboard/embed.cmake.

#include <string_view>

namespace rg::gateway {

extern const std::string_view kDashboardHtml;
extern const std::string_view kDashboardJs;
extern const std::string_view kDashboardCss;
extern const std::string_view kUplotJs;
extern const std::string_view kUplotCss;

}  // namespace rg::gateway
