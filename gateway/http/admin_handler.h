#pragma once
// The admin listener's requests (--admin-port on --admin-bind, never the public port):
//   GET /livez   200 while the process runs
//   GET /readyz  200 while every shard serves; 503 while starting or stopping
//   GET /metrics Prometheus text format 0.0.4 (gateway/metrics/metrics_text.h)
//   POST /api/…  the server API (gateway/api/api_service.h)
//   GET /        the live dashboard (gateway/dashboard/), polling /dashboard.json and
//                /dashboard/rooms.json
// Anything else: 404 (405 for a method other than GET or HEAD on a known path).

#include <atomic>

#include "gateway/http/front_door.h"
#include "gateway/metrics/metrics_snapshot.h"

namespace rg::gateway {

class ApiService;

class AdminHandler final : public HttpHandler {
 public:
  // `ready` is the process's: set once every shard serves, cleared when it stops.
  // `sources`: every shard's figures (complete before the shards start; they outlive the
  // admin listener).
  // `api`: the admin shard's server API.
  AdminHandler(const std::atomic<bool>& ready, const MetricsSources& sources,
               ApiService& api) noexcept
      : ready_(ready), sources_(sources), api_(api) {}
  void on_request(FrontDoor& door, const proto::HttpRequest& request,
                  std::string_view body) noexcept override;

 private:
  // The dashboard: its page and files, /dashboard.json, /dashboard/rooms.json. False when
  // `path` is none of them.
  bool serve_dashboard(FrontDoor& door, const proto::HttpRequest& request,
                       std::string_view path) noexcept;

  const std::atomic<bool>& ready_;
  const MetricsSources& sources_;
  ApiService& api_;
};

}  // namespace rg::gateway
