// libFuzzer target for HTTP request bodies: the framing decided from a parsed head, and
// the chunked decoder.
//
// Invariants: a request whose head has both Transfer-Encoding and Content-Length is never
// given a body framing; a declared length never passes the bound; the chunked decoder
// gives the same verdict, the same data and the same end whether fed all at once or in
// pieces (so a body split across reads cannot be read two ways), never consumes more
// than it was given and never decodes past its bound.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proto/http/http_body.h"
#include "proto/http/http_request.h"

namespace {

constexpr size_t kMaxBody = 4096;

struct Decoded {
  rg::proto::ChunkedDecoder::Status status;
  size_t consumed;
  std::string data;
};

Decoded decode(std::string_view body, size_t piece) {
  rg::proto::ChunkedDecoder decoder(kMaxBody);
  Decoded out{rg::proto::ChunkedDecoder::Status::kNeedMore, 0, {}};
  while (out.status == rg::proto::ChunkedDecoder::Status::kNeedMore && out.consumed < body.size()) {
    std::string_view next = body.substr(out.consumed, piece);
    auto r = decoder.feed(next, out.data);
    if (r.consumed > next.size()) std::abort();
    out.status = r.status;
    out.consumed += r.consumed;
  }
  if (out.data.size() > kMaxBody || decoder.decoded() != out.data.size()) std::abort();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  rg::proto::HttpRequest request;
  if (rg::proto::parse_http_request(input, {}, request) == rg::proto::HttpParse::kComplete) {
    rg::proto::BodyFraming framing = rg::proto::body_framing(request, kMaxBody);
    bool both = request.count("Content-Length") != 0 && request.count("Transfer-Encoding") != 0;
    if (both && framing.kind != rg::proto::BodyFraming::Kind::kRefused) std::abort();
    if (framing.kind == rg::proto::BodyFraming::Kind::kLength && framing.length > kMaxBody) {
      std::abort();
    }
    if (framing.kind == rg::proto::BodyFraming::Kind::kRefused && framing.status == 0) std::abort();
    input.remove_prefix(request.head_size);
  }
  Decoded whole = decode(input, input.size() == 0 ? 1 : input.size());
  for (size_t piece : {size_t{1}, size_t{3}, size_t{7}}) {
    Decoded split = decode(input, piece);
    if (split.status != whole.status || split.data != whole.data) std::abort();
    if (whole.status == rg::proto::ChunkedDecoder::Status::kDone &&
        split.consumed != whole.consumed) {
      std::abort();
    }
  }
  return 0;
}
