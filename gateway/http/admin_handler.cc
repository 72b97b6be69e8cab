#include "gateway/http/admin_handler.h"

#include "gateway/api/api_service.h"
#include "gateway/http/dashboard_assets.h"
#include "gateway/metrics/dashboard_json.h"
#include "gateway/metrics/metrics_text.h"
#include "gateway/metrics/prometheus_text.h"
#include "gateway/version.h"
#include "proto/http/http_query.h"

namespace rg::gateway {

bool AdminHandler::serve_dashboard(FrontDoor& door, const proto::HttpRequest& request,
                                   std::string_view path) noexcept {
  struct Asset {
    std::string_view path, type;
    const std::string_view* body;
  };
  static const Asset kAssets[] = {
      {"/", "text/html; charset=utf-8", &kDashboardHtml},
      {"/dashboard/app.js", "text/javascript; charset=utf-8", &kDashboardJs},
      {"/dashboard/style.css", "text/css; charset=utf-8", &kDashboardCss},
      {"/dashboard/uplot.js", "text/javascript; charset=utf-8", &kUplotJs},
      {"/dashboard/uplot.css", "text/css; charset=utf-8", &kUplotCss},
  };
  bool json = path == "/dashboard.json" || path == "/dashboard/rooms.json";
  const Asset* asset = nullptr;
  for (const Asset& a : kAssets) {
    if (a.path == path) asset = &a;
  }
  if (asset == nullptr && !json) return false;
  proto::ResponseHead head;
  if (request.method != "GET" && request.method != "HEAD") {
    head.status = 405;
    head.content_type = "text/plain; charset=utf-8";
    head.headers = "Allow: GET, HEAD\r\n";
    door.respond(head, "GET or HEAD\n");
    return true;
  }
  if (path == "/dashboard/rooms.json") {
    api_.busiest_rooms(door, 10);
    return true;
  }
  head.headers = "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n";
  std::string figures;
  std::string_view body;
  if (json) {
    head.content_type = "application/json";
    figures = dashboard_json(take_snapshot(sources_), read_process_figures(), kVersion);
    body = figures;
  } else {
    head.content_type = asset->type;
    body = *asset->body;
  }
  door.respond(head, request.method == "HEAD" ? std::string_view() : body);
  return true;
}

void AdminHandler::on_request(FrontDoor& door, const proto::HttpRequest& request,
                              std::string_view body) noexcept {
  std::string_view path = proto::split_target(request.target).path;
  if (path.starts_with("/api/")) return api_.on_request(door, request, body);
  if (serve_dashboard(door, request, path)) return;
  proto::ResponseHead head;
  head.content_type = "text/plain; charset=utf-8";
  head.headers = "Cache-Control: no-store\r\n";
  bool known = path == "/livez" || path == "/readyz" || path == "/metrics";
  if (!known) {
    head.status = 404;
    return door.respond(head, "no such admin endpoint (/, /livez, /readyz, /metrics, /api/)\n");
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
