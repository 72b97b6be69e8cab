// libFuzzer target for the HTTP/1.1 request parser and the handshake checks.
//
// Invariants: every view the parser returns lies inside the input; a complete head ends
// with CRLF CRLF within the input; parsing only the head gives the same result; and the
// handshake check and accept computation never misbehave on what the parser accepted.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "proto/http/http_request.h"
#include "proto/ws/ws_handshake.h"

namespace {
bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  rg::proto::HttpLimits limits;
  limits.max_request_line = 512;
  limits.max_head = 2048;
  limits.max_headers = 16;
  rg::proto::HttpRequest request;
  rg::proto::HttpParse result = rg::proto::parse_http_request(input, limits, request);
  if (result != rg::proto::HttpParse::kComplete) return 0;
  if (request.head_size > size || request.head_size > limits.max_head) std::abort();
  if (input.substr(request.head_size - 4, 4) != "\r\n\r\n") std::abort();
  if (!inside(request.method, input) || !inside(request.target, input)) std::abort();
  if (request.header_count > limits.max_headers) std::abort();
  for (size_t i = 0; i < request.header_count; ++i) {
    if (!inside(request.headers[i].name, input) || !inside(request.headers[i].value, input)) {
      std::abort();
    }
  }
  rg::proto::HttpRequest again;
  if (rg::proto::parse_http_request(input.substr(0, request.head_size), limits, again) != result ||
      again.header_count != request.header_count) {
    std::abort();
  }
  rg::proto::HandshakeVerdict verdict = rg::proto::check_upgrade_request(request);
  if (verdict.status == 101) {
    if (rg::proto::websocket_accept(request.header("Sec-WebSocket-Key")).size() != 28) std::abort();
  }
  return 0;
}
