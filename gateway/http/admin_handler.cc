#include "gateway/http/admin_handler.h"

#include "gateway/api/api_service.h"
#include "gateway/metrics/metrics_text.h"
#include "gateway/metrics/prometheus_text.h"
#include "gateway/version.h"
#include "proto/http/http_query.h"

namespace rg::gateway {

void AdminHandler::on_request(FrontDoor& door, const proto::HttpRequest& request,
                              std::string_view body) noexcept {
  std::string_view path = proto::split_target(request.target).path;
  if (path.starts_with("/api/")) return api_.on_request(door, request, body);
  proto::ResponseHead head;
  head.content_type = "text/plain; charset=utf-8";
  head.headers = "Cache-Control: no-store\r\n";
  bool known = path == "/livez" || path == "/readyz" || path == "/metrics";
  if (!known) {
    head.status = 404;
    return door.respond(head, "no such admin endpoint (/livez, /readyz, /metrics, /api/)\n");
  }
  if (request.method != "GET" && request.method != "HEAD") {
    head.status = 405;
    head.headers = "Cache-Control: no-store\r\nAllow: GET, HEAD\r\n";
    return door.respond(head, "GET or HEAD\n");
  }
  bool head_only = request.method == "HEAD";
  if (path == "/metrics") {
    head.content_type = kPrometheusContentType;
    std::string text = metrics_text(take_snapshot(sources_), read_process_figures(), kVersion);
    return door.respond(head, head_only ? std::string_view() : std::string_view(text));
  }
  std::string_view text;
  if (path == "/livez") {
    text = "ok\n";
  } else if (ready_.load(std::memory_order_acquire)) {
    text = "ready\n";
  } else {
    head.status = 503;
    text = "not ready: starting or stopping\n";
  }
  door.respond(head, head_only ? std::string_view() : text);
}

}  // namespace rg::gateway
