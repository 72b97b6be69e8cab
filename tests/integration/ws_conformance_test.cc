// RFC 6455 conformance, against the real binary's /echo endpoint. Sections follow the
// public Autobahn test suite's: 1 framing, 2 ping/pong, 3 reserved bits, 4 opcodes,
// 5 fragmentation, 6 UTF-8, 7 close handling, 9 big messages; plus the opening handshake
// and heartbeats. Every case asserts the exact close code the RFC calls for.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>

#include <thread>

#include "tests/integration/gateway_process.h"
#include "tests/integration/ws_client.h"
#include "tests/support/ws_frames.h"

namespace rg::testing {
namespace {

using namespace std::chrono_literals;

class WsConformance : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(gateway_.started()); }
  uint16_t port() const { return gateway_.ws_port(); }

  std::unique_ptr<WsClient> open() {
    auto c = std::make_unique<WsClient>(port());
    EXPECT_EQ(c->status(), 101) << c->response_head();
    return c;
  }
  // Sends `bytes` on a fresh connection; the server must answer with a close frame carrying
  // `code` and then close the TCP connection.
  void expect_close(const std::string& bytes, int code) {
    auto c = open();
    ASSERT_TRUE(c->send_raw(bytes));
    EXPECT_EQ(c->read_close_code(), code);
    EXPECT_TRUE(c->tcp_closed());
  }
  void expect_echo(WsClient& c, const std::string& payload, uint8_t opcode) {
    ASSERT_TRUE(c.send(payload, opcode));
    auto f = c.read_frame();
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->opcode, opcode);
    EXPECT_TRUE(f->fin);
    EXPECT_FALSE(f->masked) << "server frames are never masked";
    EXPECT_EQ(f->rsv, 0);
    EXPECT_EQ(f->payload.size(), payload.size());
    EXPECT_TRUE(f->payload == payload);
  }

  GatewayProcess gateway_{{"--shards", "2", "--max-message", "16MiB"}};
};

// 1. Framing
TEST_F(WsConformance, S1_TextAndBinaryOfEveryLengthForm) {
  auto c = open();
  for (size_t n : {0, 1, 125, 126, 127, 128, 65535, 65536, 100000}) {
    expect_echo(*c, std::string(n, '*'), 0x1);
    expect_echo(*c, random_payload(n, static_cast<uint32_t>(n)), 0x2);
  }
}

TEST_F(WsConformance, S1_FramesSentByteByByteAndPipelined) {
  auto c = open();
  std::string wire = client_frame("slow") + client_frame("fast", op(2)) + client_frame("");
  for (char ch : wire) {
    ASSERT_TRUE(c->send_raw(std::string(1, ch)));
    std::this_thread::sleep_for(1ms);
  }
  for (const char* expected : {"slow", "fast", ""}) {
    auto f = c->read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->payload, expected);
  }
}

// 2. Ping/pong
TEST_F(WsConformance, S2_PingIsAnsweredWithTheSamePayload) {
  auto c = open();
  for (std::string payload :
       {std::string(), std::string("hello"), std::string(125, 'p'), random_payload(125, 9)}) {
    ASSERT_TRUE(c->send(payload, 0x9));
    auto f = c->read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->opcode, 0xA);
    EXPECT_EQ(f->payload, payload);
  }
}

TEST_F(WsConformance, S2_PingOver125BytesIs1002) {
  expect_close(client_frame(std::string(126, 'p'), op(9)), 1002);
}

TEST_F(WsConformance, S2_UnsolicitedPongIsIgnored) {
  auto c = open();
  ASSERT_TRUE(c->send("unsolicited", 0xA));
  expect_echo(*c, "after pong", 0x1);
}

TEST_F(WsConformance, S2_TenPingsTenPongsInOrder) {
  auto c = open();
  std::string wire;
  for (int i = 0; i < 10; ++i) wire += client_frame("ping" + std::to_string(i), op(9));
  ASSERT_TRUE(c->send_raw(wire));
  for (int i = 0; i < 10; ++i) {
    auto f = c->read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->payload, "ping" + std::to_string(i));
  }
}

// 3. Reserved bits
TEST_F(WsConformance, S3_ReservedBitsWithoutAnExtensionAre1002) {
  for (uint8_t rsv = 1; rsv < 8; ++rsv) {
    FrameSpec s;
    s.rsv = rsv;
    auto c = open();
    // A valid message before the bad frame is echoed; nothing after it is.
    ASSERT_TRUE(c->send_raw(client_frame("ok") + client_frame("bad", s) + client_frame("never")));
    auto f = c->read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->payload, "ok");
    EXPECT_EQ(c->read_close_code(), 1002) << int(rsv);
    EXPECT_TRUE(c->tcp_closed());
  }
}

// 4. Opcodes
TEST_F(WsConformance, S4_ReservedOpcodesAre1002) {
  for (uint8_t code : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    expect_close(client_frame("x", op(code)), 1002);
  }
}

// 5. Fragmentation
TEST_F(WsConformance, S5_FragmentedMessagesAreReassembled) {
  auto c = open();
  ASSERT_TRUE(c->send_raw(client_frame("frag", op(1, false)) + client_frame("men", op(0, false)) +
                          client_frame("ted", op(0))));
  auto f = c->read_frame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->opcode, 0x1);
  EXPECT_EQ(f->payload, "fragmented");
  std::string wire;
  std::string expected;
  for (int i = 0; i < 1000; ++i) {
    std::string piece = random_payload(1 + i % 50, static_cast<uint32_t>(i));
    expected += piece;
    wire += client_frame(piece, op(i == 0 ? 2 : 0, i == 999));
  }
  ASSERT_TRUE(c->send_raw(wire));
  f = c->read_frame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->opcode, 0x2);
  EXPECT_TRUE(f->payload == expected);
}

TEST_F(WsConformance, S5_PingBetweenFragmentsIsAnsweredAtOnce) {
  auto c = open();
  ASSERT_TRUE(c->send_raw(client_frame("a", op(1, false)) + client_frame("between", op(9))));
  auto pong = c->read_frame();
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->opcode, 0xA);
  EXPECT_EQ(pong->payload, "between");
  ASSERT_TRUE(c->send_raw(client_frame("b", op(0))));
  auto f = c->read_frame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->payload, "ab");
}

TEST_F(WsConformance, S5_FragmentationErrorsAre1002) {
  expect_close(client_frame("orphan", op(0)), 1002);
  expect_close(client_frame("orphan", op(0, false)), 1002);
  expect_close(client_frame("ping", op(9, false)), 1002);
  expect_close(client_frame("pong", op(0xA, false)), 1002);
  expect_close(client_frame(rg::testing::close_payload(1000), op(8, false)), 1002);
  expect_close(client_frame("a", op(1, false)) + client_frame("b", op(1)), 1002);
  expect_close(client_frame("a", op(2, false)) + client_frame("b", op(2, false)), 1002);
}

// 6. UTF-8
TEST_F(WsConformance, S6_ValidUtf8IsEchoed) {
  auto c = open();
  for (std::string text : {std::string("Hello-µ@ßöäüàá-UTF-8!!"),
                           std::string("\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5"),
                           std::string("\xF0\x90\x80\x80\xF4\x8F\xBF\xBF\xEF\xBF\xBF")}) {
    expect_echo(*c, text, 0x1);
  }
  // A code point split across fragments.
  ASSERT_TRUE(c->send_raw(client_frame("\xCE", op(1, false)) + client_frame("\xBA", op(0))));
  auto f = c->read_frame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->payload, "\xCE\xBA");
}

TEST_F(WsConformance, S6_InvalidUtf8Is1007) {
  for (std::string bad :
       {std::string("\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xED\xA0\x80\x65\x64"),
        std::string("\xC0\xAF"), std::string("\xFE"), std::string("\x80"),
        std::string("\xF8\x88\x80\x80\x80"), std::string("\xED\xBF\xBF"),
        std::string("ok\xE2\x82")}) {
    expect_close(client_frame(bad), 1007);
  }
  expect_close(client_frame("\xE2\x82", op(1, false)) + client_frame("x", op(0)), 1007);
}

TEST_F(WsConformance, S6_InvalidUtf8FailsFastBeforeTheMessageEnds) {
  auto c = open();
  // Only the first fragment is sent, and it is already invalid: the server must not wait.
  ASSERT_TRUE(c->send_raw(
      client_frame("\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xF4\x90\x80\x80", op(1, false))));
  EXPECT_EQ(c->read_close_code(), 1007);
  // Also inside a single frame whose payload is still arriving.
  auto d = open();
  std::string frame = client_frame("abc\xFF" + std::string(1000, 'x'));
  ASSERT_TRUE(d->send_raw(frame.substr(0, 12)));  // 8 header bytes, then "abc\xFF"
  EXPECT_EQ(d->read_close_code(), 1007);
}

// 7. Close handling
TEST_F(WsConformance, S7_CloseIsEchoedAndTheServerClosesTcp) {
  auto c = open();
  ASSERT_TRUE(c->send_raw(client_frame(rg::testing::close_payload(1000, "bye"), op(8))));
  EXPECT_EQ(c->read_close_code(), 1000);
  EXPECT_TRUE(c->tcp_closed());
  auto d = open();
  ASSERT_TRUE(d->send_raw(client_frame("", op(8))));
  EXPECT_EQ(d->read_close_code(), 1005) << "an empty close is answered with an empty close";
  EXPECT_TRUE(d->tcp_closed());
}

TEST_F(WsConformance, S7_NothingAfterCloseIsProcessed) {
  auto c = open();
  ASSERT_TRUE(c->send_raw(client_frame(rg::testing::close_payload(1000), op(8)) +
                          client_frame("ignored") + client_frame("", op(9))));
  auto f = c->read_frame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->opcode, 0x8);
  EXPECT_TRUE(c->tcp_closed());
}

TEST_F(WsConformance, S7_ValidCloseCodesAreEchoed) {
  for (uint16_t code :
       {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999}) {
    expect_close(client_frame(rg::testing::close_payload(code), op(8)), code);
  }
}

TEST_F(WsConformance, S7_InvalidClosePayloadsAre1002Or1007) {
  expect_close(client_frame("x", op(8)), 1002);
  for (uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
    expect_close(client_frame(rg::testing::close_payload(code), op(8)), 1002);
  }
  expect_close(
      client_frame(rg::testing::close_payload(1000, "\xCE\xBA\xE1\xBD\xB9\xED\xA0\x80"), op(8)),
      1007);
  expect_close(client_frame(rg::testing::close_payload(1000, std::string(124, 'r')), op(8)), 1002);
}

// 9. Big messages
TEST_F(WsConformance, S9_MessagesUpTo16MiBInOneFrameAndInFragments) {
  auto c = open();
  for (size_t n : {size_t{1} << 20, size_t{4} << 20, size_t{16} << 20}) {
    expect_echo(*c, random_payload(n, static_cast<uint32_t>(n)), 0x2);
  }
  expect_echo(*c, std::string(size_t{4} << 20, 'T'), 0x1);
  std::string big = random_payload(size_t{8} << 20, 5);
  std::string wire;
  for (size_t at = 0; at < big.size(); at += 65536) {
    wire += client_frame(big.substr(at, 65536), op(at == 0 ? 2 : 0, at + 65536 >= big.size()));
  }
  ASSERT_TRUE(c->send_raw(wire));
  auto f = c->read_frame();
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->payload == big);
}

TEST(WsLimits, MessageOverMaxMessageIs1009) {
  GatewayProcess gateway({"--max-message", "64KiB"});
  ASSERT_TRUE(gateway.started());
  {
    WsClient c(gateway.ws_port());
    ASSERT_TRUE(c.send(std::string(65536, 'x'), 0x2));
    auto f = c.read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->payload.size(), 65536u);
    // Only the header of the oversize frame: the limit is known from it.
    ASSERT_TRUE(c.send_raw(client_frame(std::string(65537, 'x'), op(2)).substr(0, 14)));
    EXPECT_EQ(c.read_close_code(), 1009);
    EXPECT_TRUE(c.tcp_closed());
  }
  WsClient d(gateway.ws_port());
  ASSERT_TRUE(d.send_raw(client_frame(std::string(40000, 'x'), op(2, false)) +
                         client_frame(std::string(40000, 'x'), op(0))));
  EXPECT_EQ(d.read_close_code(), 1009);
}

TEST_F(WsConformance, UnmaskedClientFrameIs1002) {
  FrameSpec s;
  s.masked = false;
  expect_close(client_frame("naked", s), 1002);
}

TEST_F(WsConformance, NonMinimalLengthIs1002) {
  FrameSpec s;
  s.length_form = 127;
  expect_close(client_frame(std::string(200, 'x'), s), 1002);
}

TEST_F(WsConformance, ABadClientDoesNotDisturbOthers) {
  auto good = open();
  expect_echo(*good, "before", 0x1);
  for (int i = 0; i < 20; ++i) {
    FrameSpec s;
    s.rsv = 4;
    auto bad = open();
    ASSERT_TRUE(bad->send_raw(client_frame("x", s)));
    EXPECT_EQ(bad->read_close_code(), 1002);
  }
  expect_echo(*good, "after", 0x1);
}

// The opening handshake
TEST_F(WsConformance, HandshakeAcceptValue) {
  WsClient c(port());
  EXPECT_EQ(c.status(), 101);
  EXPECT_NE(c.response_head().find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
            std::string::npos);
  EXPECT_NE(c.response_head().find("Upgrade: websocket\r\n"), std::string::npos);
}

TEST_F(WsConformance, HandshakeErrors) {
  auto status_of = [&](const std::string& request) {
    WsClient c(port(), request, true);
    EXPECT_TRUE(c.tcp_closed()) << request;
    return c.status();
  };
  EXPECT_EQ(status_of(WsClient::upgrade_request("/nowhere")), 404);
  EXPECT_EQ(status_of("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n"), 426);
  std::string v8 = WsClient::upgrade_request("/echo");
  v8.replace(v8.find("Version: 13"), 11, "Version: 8");
  WsClient c(port(), v8, true);
  EXPECT_EQ(c.status(), 426);
  EXPECT_NE(c.response_head().find("Sec-WebSocket-Version: 13\r\n"), std::string::npos);
  std::string bad_key = WsClient::upgrade_request("/echo");
  bad_key.replace(bad_key.find("dGhlIHNhbXBsZSBub25jZQ=="), 24, "bm90IDE2IGJ5dGVz");
  EXPECT_EQ(status_of(bad_key), 400);
  EXPECT_EQ(status_of("GET /echo HTTP/1.1\r\nBroken header\r\n\r\n"), 400);
  EXPECT_EQ(
      status_of(WsClient::upgrade_request("/echo", "X-Big: " + std::string(20000, 'b') + "\r\n")),
      431);
  std::string many;
  for (int i = 0; i < 100; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(status_of(WsClient::upgrade_request("/echo", many)), 431);
  EXPECT_EQ(status_of("GET /" + std::string(10000, 'a') + " HTTP/1.1\r\n"), 414);
}

TEST_F(WsConformance, FramesInTheSameWriteAsTheRequestAreNotLost) {
  std::string wire =
      WsClient::upgrade_request("/echo") + client_frame("early") + client_frame("bird", op(2));
  WsClient c(port(), wire, true);
  ASSERT_EQ(c.status(), 101);
  auto a = c.read_frame();
  auto b = c.read_frame();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->payload, "early");
  EXPECT_EQ(b->payload, "bird");
}

TEST_F(WsConformance, RequestSplitAcrossManyWrites) {
  WsClient c(port(), "", true);
  std::string wire = WsClient::upgrade_request("/echo") + client_frame("after split");
  for (size_t at = 0; at < wire.size(); at += 7) {
    ASSERT_TRUE(c.send_raw(wire.substr(at, 7)));
    std::this_thread::sleep_for(1ms);
  }
  char buf[4096];
  std::string got;
  while (got.find("after split") == std::string::npos) {
    ssize_t n = ::recv(c.fd(), buf, sizeof buf, 0);
    ASSERT_GT(n, 0);
    got.append(buf, static_cast<size_t>(n));
  }
  EXPECT_EQ(got.rfind("HTTP/1.1 101 ", 0), 0u);
}

// Timeouts and heartbeats
TEST(WsTimeouts, SlowHandshakeGets408AndDoesNotBlockOthers) {
  GatewayProcess gateway({"--handshake-timeout", "0.3", "--shards", "1"});
  ASSERT_TRUE(gateway.started());
  WsClient slow(gateway.ws_port(), "", true);
  ASSERT_TRUE(slow.send_raw("GET /echo HTTP/1.1\r\nHost: x\r\n"));  // and never finishes
  WsClient fast(gateway.ws_port());
  EXPECT_EQ(fast.status(), 101) << "a slow client must not hold up anyone else";
  ASSERT_TRUE(fast.send("hi"));
  EXPECT_EQ(fast.read_frame()->payload, "hi");
  EXPECT_TRUE(slow.tcp_closed(3s));
}

TEST(WsTimeouts, IdlePeersArePingedAndSilentOnesClosedWith1001) {
  GatewayProcess gateway({"--ping-interval", "0.2", "--idle-timeout", "0.7", "--shards", "1"});
  ASSERT_TRUE(gateway.started());
  WsClient answering(gateway.ws_port());
  WsClient silent(gateway.ws_port());
  ASSERT_EQ(answering.status(), 101);
  ASSERT_EQ(silent.status(), 101);
  // The answering client replies to every ping for 1.5 s and must stay open.
  auto start = std::chrono::steady_clock::now();
  int pings = 0;
  while (std::chrono::steady_clock::now() - start < 1500ms) {
    auto f = answering.read_frame();
    ASSERT_TRUE(f.has_value()) << "the answering client was closed";
    ASSERT_EQ(f->opcode, 0x9);
    ++pings;
    ASSERT_TRUE(answering.send(f->payload, 0xA));
  }
  EXPECT_GE(pings, 3);
  // The silent one got pings too, and then a close 1001.
  int silent_pings = 0;
  for (;;) {
    auto f = silent.read_frame();
    ASSERT_TRUE(f.has_value());
    if (f->opcode == 0x9) {
      ++silent_pings;
      continue;
    }
    EXPECT_EQ(f->opcode, 0x8);
    EXPECT_EQ(f->close_code(), 1001);
    break;
  }
  EXPECT_GE(silent_pings, 1);
  EXPECT_TRUE(silent.tcp_closed());
}

}  // namespace
}  // namespace rg::testing
