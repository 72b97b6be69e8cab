#pragma once
// One ringgate-bench run: start the load threads, print progress each second, report.

#include <cstdint>
#include <string>

namespace rg::bench {

struct Options {
  std::string scenario;  // echo, fanout or connect
  std::string proto = "ws";
  std::string url;
  std::string target;
  uint32_t conns = 100;
  uint64_t size = 16;
  uint32_t pipeline = 1;
  double duration = 10;
  double warmup = 2;
  unsigned threads = 1;
  double rate = 0;  // open loop: messages per second over all connections; 0: closed loop
  std::string json;
  int server_pid = 0;
  // fanout
  uint32_t rooms = 1;
  uint32_t pubs = 1;
  uint32_t members = 100;
  double churn = 0;
  uint32_t ckeys = 0;         // publishes carry conflation keys k0..k<ckeys-1>
  uint32_t slow_members = 0;  // members that read 5 ms out of every 500  // members dropped (TCP
                              // reset) and resumed per second, over all of them
  std::string sio_members = "websocket";  // --proto sio: members' transport (or polling)
};

// Returns the exit code: 0 when everything went right, 1 on any error, 130 on SIGINT.
// Throws std::exception for bad arguments and set-up failures.
int run(const Options& options);

}  // namespace rg::bench
