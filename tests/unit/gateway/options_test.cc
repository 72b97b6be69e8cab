#include "gateway/options.h"

#include <gtest/gtest.h>

#include <vector>

namespace rg::gateway {
namespace {

ParsedOptions parse(std::vector<const char*> args) {
  args.insert(args.begin(), "ringgate");
  return parse_options(static_cast<int>(args.size()), args.data());
}

TEST(Options, Defaults) {
  ParsedOptions p = parse({});
  ASSERT_TRUE(p.options);
  EXPECT_EQ(p.options->bind, "127.0.0.1");
  EXPECT_EQ(p.options->tcp_port, 9000);
  EXPECT_EQ(p.options->udp_port, 9001);
  EXPECT_EQ(p.options->ws_port, 8080);
  EXPECT_EQ(p.options->max_frame, 1u << 20);
  EXPECT_EQ(p.options->shards, 0u);
}

TEST(Options, EveryFlagOfTheIssueIsAccepted) {
  ParsedOptions p = parse({"--bind", "::1", "--tcp-port", "0", "--udp-port", "0", "--ws-port", "0",
                           "--admin-port", "0", "--shards", "4", "--max-frame", "64KiB",
                           "--max-connections", "10", "--idle-timeout", "1.5"});
  ASSERT_TRUE(p.options) << p.message;
  EXPECT_EQ(p.options->bind, "::1");
  EXPECT_EQ(p.options->shards, 4u);
  EXPECT_EQ(p.options->max_frame, 65536u);
  EXPECT_EQ(p.options->max_connections, 10u);
  EXPECT_DOUBLE_EQ(p.options->idle_timeout_s, 1.5);
}

TEST(Options, RoomLimitsTakeSizes) {
  ParsedOptions p =
      parse({"--history", "8", "--history-bytes", "64KiB", "--history-total", "2GiB"});
  ASSERT_TRUE(p.options) << p.message;
  EXPECT_EQ(p.options->history, 8u);
  EXPECT_EQ(p.options->history_bytes, 65536u);
  EXPECT_EQ(p.options->history_total, uint64_t{2} << 30);
  EXPECT_EQ(parse({}).options->history_total, uint64_t{128} << 20);
}

TEST(Options, BadValuesAreOneLineErrorsWithExitCode2) {
  for (std::vector<const char*> bad : std::vector<std::vector<const char*>>{
           {"--shards", "many"},
           {"--tcp-port", "70000"},
           {"--max-frame", "0"},
           {"--no-such-flag"},
           {"--rx-buffers", "100"},
           {"--idle-timeout", "-1"},
       }) {
    ParsedOptions p = parse(bad);
    EXPECT_FALSE(p.options) << bad[0];
    EXPECT_EQ(p.exit_code, 2) << bad[0];
    ASSERT_FALSE(p.message.empty());
    EXPECT_EQ(p.message.find('\n'), p.message.size() - 1) << "one line: " << p.message;
  }
}

TEST(Options, HelpListsEveryFlag) {
  ParsedOptions p = parse({"--help"});
  EXPECT_FALSE(p.options);
  EXPECT_EQ(p.exit_code, 0);
  for (const char* flag :
       {"--bind", "--tcp-port", "--udp-port", "--ws-port", "--admin-port", "--shards",
        "--max-frame", "--max-connections", "--idle-timeout", "--max-outbuf"}) {
    EXPECT_NE(p.message.find(flag), std::string::npos) << flag;
  }
}

}  // namespace
}  // namespace rg::gateway
