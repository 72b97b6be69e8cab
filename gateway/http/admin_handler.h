#pragma once
// The admin listener's requests (--admin-port on --admin-bind, never the public port):
//   GET /livez   200 while the process runs
//   GET /readyz  200 while every shard serves; 503 while starting or stopping
// Anything else: 404 (405 for a method other than GET or HEAD on a known path).

#include <atomic>

#include "gateway/http/front_door.h"

namespace rg::gateway {

class AdminHandler final : public HttpHandler {
 public:
  // `ready` is the process's: set once every shard serves, cleared when it stops.
  explicit AdminHandler(const std::atomic<bool>& ready) noexcept : ready_(ready) {}
  void on_request(FrontDoor& door, const proto::HttpRequest& request,
                  std::string_view body) noexcept override;

 private:
  const std::atomic<bool>& ready_;
};

}  // namespace rg::gateway
