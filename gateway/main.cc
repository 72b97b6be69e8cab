// The ringgate binary.

#include <cstdio>
#include <exception>

#include "gateway/gateway.h"
#include "gateway/options.h"

int main(int argc, char** argv) {
  rg::gateway::ParsedOptions parsed = rg::gateway::parse_options(argc, argv);
  if (!parsed.options) {
    std::fputs(parsed.message.c_str(), parsed.exit_code == 0 ? stdout : stderr);
    return parsed.exit_code;
  }
  try {
    return rg::gateway::run_gateway(*parsed.options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ringgate: %s\n", e.what());
    return 1;
  }
}
