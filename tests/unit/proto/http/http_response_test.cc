#include "proto/http/http_response.h"

#include <gtest/gtest.h>

namespace rg::proto {
namespace {

TEST(HttpResponse, WritesHeadAndBody) {
  std::string out;
  ResponseHead head;
  head.content_type = "text/plain; charset=UTF-8";
  head.headers = "Cache-Control: no-store\r\n";
  write_response(out, head, "ok");
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=UTF-8\r\n"
            "Cache-Control: no-store\r\nContent-Length: 2\r\n\r\nok");
}

TEST(HttpResponse, ClosesAndDatesWhenAsked) {
  std::string out;
  char date[32];
  ResponseHead head;
  head.status = 400;
  head.content_type = "application/json";
  head.close = true;
  head.date = http_date(784111777, date);
  write_response(out, head, "{}");
  EXPECT_EQ(out,
            "HTTP/1.1 400 Bad Request\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
}

TEST(HttpResponse, NoContentHasNoLength) {
  std::string out;
  ResponseHead head;
  head.status = 204;
  write_response(out, head, "");
  EXPECT_EQ(out, "HTTP/1.1 204 No Content\r\n\r\n");
  EXPECT_STREQ(reason_phrase(413), "Content Too Large");
  EXPECT_STREQ(reason_phrase(299), "Error");
}

}  // namespace
}  // namespace rg::proto
