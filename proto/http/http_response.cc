#include "proto/http/http_response.h"

#include <charconv>
#include <cstdio>

namespace rg::proto {

const char* reason_phrase(int status) noexcept {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 426:
      return "Upgrade Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

void write_response(std::string& out, const ResponseHead& head, std::string_view body) {
  char number[24];
  out += "HTTP/1.1 ";
  auto end = std::to_chars(number, number + sizeof number, head.status).ptr;
  out.append(number, end);
  out += ' ';
  out += reason_phrase(head.status);
  out += "\r\n";
  if (!head.date.empty()) {
    out += "Date: ";
    out += head.date;
    out += "\r\n";
  }
  if (!head.content_type.empty()) {
    out += "Content-Type: ";
    out += head.content_type;
    out += "\r\n";
  }
  out += head.headers;
  // 1xx and 204 have no body and no length (RFC 9110 8.6).
  if (head.status >= 200 && head.status != 204) {
    out += "Content-Length: ";
    end = std::to_chars(number, number + sizeof number, body.size()).ptr;
    out.append(number, end);
    out += "\r\n";
  }
  if (head.close) out += "Connection: close\r\n";
  out += "\r\n";
  out += body;
}

std::string_view http_date(std::time_t when, char (&out)[32]) noexcept {
  std::tm tm{};
  gmtime_r(&when, &tm);
  size_t n = std::strftime(out, sizeof out, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return {out, n};
}

}  // namespace rg::proto
