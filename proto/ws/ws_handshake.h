#pragma once
// The WebSocket opening handshake (RFC 6455 4.2): checking a parsed request and writing
// the server's response.

#include <string>
#include <string_view>

#include "proto/http/http_request.h"

namespace rg::proto {

struct HandshakeVerdict {
  int status = 101;      // 101 to upgrade; otherwise the HTTP error to answer with
  const char* why = "";  // for the error's body
};

// Checks method, Host, Upgrade, Connection, Sec-WebSocket-Version and Sec-WebSocket-Key.
HandshakeVerdict check_upgrade_request(const HttpRequest& request) noexcept;

// base64(SHA-1(key + GUID)).
std::string websocket_accept(std::string_view key);

// "HTTP/1.1 101 Switching Protocols" with the accept value.
std::string upgrade_response(std::string_view key);

// A complete error response that closes the connection. 426 carries the version we speak.
std::string error_response(int status, std::string_view why);

// The path of a request target, without the query.
std::string_view target_path(std::string_view target) noexcept;

}  // namespace rg::proto
