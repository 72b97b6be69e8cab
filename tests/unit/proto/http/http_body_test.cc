#include "proto/http/http_body.h"

#include <gtest/gtest.h>

#include <string>

namespace rg::proto {
namespace {

// The framing of a request with these header lines (each ending CRLF).
BodyFraming framing_of(std::string headers, std::string version = "HTTP/1.1",
                       size_t max_body = 1000) {
  static std::string text;  // the request's views point into it
  text = "POST /socket.io/ " + version + "\r\nHost: h\r\n" + headers + "\r\n";
  HttpRequest request;
  EXPECT_EQ(parse_http_request(text, {}, request), HttpParse::kComplete) << text;
  return body_framing(request, max_body);
}

TEST(BodyFraming, NoBodyWithoutEitherHeader) {
  EXPECT_EQ(framing_of("").kind, BodyFraming::Kind::kNone);
  EXPECT_EQ(framing_of("Content-Length: 0\r\n").kind, BodyFraming::Kind::kNone);
}

TEST(BodyFraming, ContentLength) {
  BodyFraming f = framing_of("Content-Length: 42\r\n");
  EXPECT_EQ(f.kind, BodyFraming::Kind::kLength);
  EXPECT_EQ(f.length, 42u);
  // The same length twice, or as a list of the same, is one length (RFC 9110 8.6).
  EXPECT_EQ(framing_of("Content-Length: 42\r\nContent-Length: 42\r\n").length, 42u);
  EXPECT_EQ(framing_of("Content-Length: 42, 42\r\n").length, 42u);
}

TEST(BodyFraming, RefusesWhatCouldSmuggleARequest) {
  auto refused = [](std::string headers, int status, std::string version = "HTTP/1.1") {
    BodyFraming f = framing_of(headers, version);
    EXPECT_EQ(f.kind, BodyFraming::Kind::kRefused) << headers;
    EXPECT_EQ(f.status, status) << headers;
  };
  refused("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", 400);
  refused("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", 400);
  refused("Content-Length: 5\r\nContent-Length: 6\r\n", 400);
  refused("Content-Length: 5, 6\r\n", 400);
  refused("Content-Length: +5\r\n", 400);
  refused("Content-Length: -1\r\n", 400);
  refused("Content-Length: 0x10\r\n", 400);
  refused("Content-Length: 1 0\r\n", 400);
  refused("Content-Length: \r\n", 400);
  refused("Content-Length: 99999999999999999999999\r\n", 400);
  refused("Transfer-Encoding: gzip\r\n", 400);  // the last coding is not chunked
  refused("Transfer-Encoding: chunked, gzip\r\n", 400);
  refused("Transfer-Encoding: gzip, chunked\r\n", 501);  // a coding we do not decode
  refused("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", 501);
  refused("Transfer-Encoding: chunked;q=1\r\n", 400);
  refused("Transfer-Encoding: xchunked\r\n", 400);
  refused("Transfer-Encoding: \r\n", 400);
  refused("Transfer-Encoding: chunked\r\n", 400, "HTTP/1.0");
  refused("Content-Length: 1001\r\n", 413);
}

TEST(BodyFraming, Chunked) {
  EXPECT_EQ(framing_of("Transfer-Encoding: chunked\r\n").kind, BodyFraming::Kind::kChunked);
  EXPECT_EQ(framing_of("Transfer-Encoding: Chunked\r\n").kind, BodyFraming::Kind::kChunked);
}

ChunkedDecoder::Result decode(std::string_view in, std::string& out, size_t max_body = 1000) {
  ChunkedDecoder decoder(max_body);
  return decoder.feed(in, out);
}

TEST(ChunkedDecoder, DecodesChunksExtensionsAndTrailers) {
  std::string out;
  std::string body = "5\r\nhello\r\n1;name=value\r\n \r\nA\r\n0123456789\r\n0\r\n\r\nGET /";
  auto r = decode(body, out);
  EXPECT_EQ(r.status, ChunkedDecoder::Status::kDone);
  EXPECT_EQ(out, "hello 0123456789");
  EXPECT_EQ(body.substr(r.consumed), "GET /");  // the pipelined request is left alone

  out.clear();
  r = decode("3\r\nabc\r\n0\r\nX-Checksum: 1\r\nX-Other: 2\r\n\r\n", out);
  EXPECT_EQ(r.status, ChunkedDecoder::Status::kDone);
  EXPECT_EQ(out, "abc");
}

TEST(ChunkedDecoder, TakesItsInputInAnyPieces) {
  std::string body = "5;a=b\r\nhello\r\n10\r\n0123456789abcdef\r\n0\r\nT: v\r\n\r\n";
  for (size_t piece = 1; piece <= body.size(); ++piece) {
    ChunkedDecoder decoder(1000);
    std::string out;
    ChunkedDecoder::Status status = ChunkedDecoder::Status::kNeedMore;
    size_t at = 0;
    while (at < body.size() && status == ChunkedDecoder::Status::kNeedMore) {
      auto r = decoder.feed(std::string_view(body).substr(at, piece), out);
      status = r.status;
      at += r.consumed;
    }
    EXPECT_EQ(status, ChunkedDecoder::Status::kDone) << piece;
    EXPECT_EQ(at, body.size());
    EXPECT_EQ(out, "hello0123456789abcdef");
    EXPECT_EQ(decoder.decoded(), 21u);
  }
}

TEST(ChunkedDecoder, RefusesMalformedChunks) {
  for (std::string body : {
           "\r\n",                           // no size
           "g\r\n",                          // not hex
           "-1\r\n",                         //
           "0x5\r\nhello\r\n0\r\n\r\n",      //
           "5\nhello\r\n0\r\n\r\n",          // a bare LF ends no line
           "5\r\nhello\n0\r\n\r\n",          //
           "5\r\nhelloX\r\n",                // data longer than its size
           "5 \r\nhello\r\n",                // white space, but no extension
           "5 x\r\nhello\r\n",               //
           "5;a\x01\r\nhello\r\n",           // a control character in an extension
           "5\r\nhello\r\n0\r\nT: v\n\r\n",  // a bare LF in the trailers
           "5\r\nhello\r\n0\r\n\r\r",        //
           "11111111111111111\r\n",          // 17 hex digits: past 64 bits
       }) {
    std::string out;
    EXPECT_EQ(decode(body, out).status, ChunkedDecoder::Status::kBad) << body;
  }
}

TEST(ChunkedDecoder, BoundsTheBodyExtensionsAndTrailers) {
  std::string out;
  EXPECT_EQ(decode("5\r\nhello\r\n6\r\n", out, 10).status, ChunkedDecoder::Status::kTooLarge);
  EXPECT_EQ(out, "hello");  // nothing past the bound was taken
  out.clear();
  EXPECT_EQ(decode("ffffffffffffffff\r\n", out, 10).status, ChunkedDecoder::Status::kTooLarge);
  out.clear();
  EXPECT_EQ(decode("1;" + std::string(2000, 'x') + "\r\n", out).status,
            ChunkedDecoder::Status::kBad);
  out.clear();
  EXPECT_EQ(decode("0\r\n" + std::string(9000, 'x'), out).status, ChunkedDecoder::Status::kBad);
}

TEST(ChunkedDecoder, TakesNothingAfterItsEnd) {
  ChunkedDecoder decoder(100);
  std::string out;
  EXPECT_EQ(decoder.feed("0\r\n\r\n", out).status, ChunkedDecoder::Status::kDone);
  EXPECT_EQ(decoder.feed("1\r\nx\r\n", out).status, ChunkedDecoder::Status::kBad);
}

}  // namespace
}  // namespace rg::proto
