// Interoperability with WebSocket clients no one here wrote: Node's `ws` package and
// Python's `websockets`, each run as its own process against the real binary.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include "tests/integration/gateway_process.h"

namespace rg::testing {
namespace {

using namespace std::chrono_literals;

void run_client(const std::vector<std::string>& command_before_url) {
  GatewayProcess gateway({"--shards", "2"});
  ASSERT_TRUE(gateway.started());
  std::vector<std::string> argv = command_before_url;
  argv.push_back("ws://127.0.0.1:" + std::to_string(gateway.ws_port()) + "/echo");
  ProcessResult r = run_command(argv, 90s);
  ASSERT_TRUE(r.exited) << "client timed out";
  EXPECT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text;
  EXPECT_NE(r.stdout_text.find(": ok"), std::string::npos) << r.stdout_text << r.stderr_text;
  ASSERT_EQ(gateway.stop(SIGTERM, 5s), 0);
  EXPECT_EQ(gateway.total("protocol_errors"), 0u);
}

TEST(Interop, NodeWsClient) {
  std::string script = std::string(RG_INTEROP_DIR) + "/node/ws_echo_client.mjs";
  if (access((std::string(RG_INTEROP_DIR) + "/node/node_modules/ws").c_str(), F_OK) != 0) {
    FAIL() << "tests/interop/node/node_modules is missing: run npm ci there (tools/check does)";
  }
  run_client({"/usr/bin/node", script});
}

TEST(Interop, PythonWebsocketsClient) {
  run_client({"/usr/bin/python3", std::string(RG_INTEROP_DIR) + "/python_websockets_client.py"});
}

}  // namespace
}  // namespace rg::testing
