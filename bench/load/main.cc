// ringgate-bench: a load generator built on ringgate's own io_uring runtime.
//
//   ringgate-bench echo --proto ws --url ws://127.0.0.1:8080/echo --conns 100 --size 16
//                  --pipeline 1 --duration 10 --warmup 2 --threads 1 [--json FILE]
//   ringgate-bench echo --proto tcp --target 127.0.0.1:9002 ...   (the gateway's --tcp-echo-port)
//   ringgate-bench fanout --url ws://127.0.0.1:8080/ --rooms 1 --pubs 4 --members 1000 ...
//   ringgate-bench fanout --proto raw --url ws://127.0.0.1:8080/raw/ --members 1000 ...
//
// Prints a progress line each second and a final table; exits 1 if anything went wrong
// (refused connections, failed handshakes, a server closing mid-run, wrong echoes).

#include <CLI/CLI.hpp>

#include <cstdio>

#include "bench/load/run.h"

int main(int argc, char** argv) {
  rg::bench::Options o;
  CLI::App app{"ringgate-bench: load generator for ringgate and any WebSocket echo server",
               "ringgate-bench"};
  app.add_option("scenario", o.scenario,
                 "echo: round trips with --pipeline in flight per connection; "
                 "fanout: --pubs publishers and --members members in --rooms rooms of the "
                 "gateway protocol; connect: open --conns connections and hold them idle")
      ->required()
      ->check(CLI::IsMember({"echo", "fanout", "connect"}));
  app.add_option("--proto", o.proto,
                 "ws, tcp, udp, sio (Socket.IO over WebSocket; fanout) or raw (fanout: plain "
                 "WebSocket broadcast, every connection opens the --url base + room-<r>: "
                 "ringgate's /raw/ rooms or any uWebSockets-style subscribe/publish server)")
      ->check(CLI::IsMember({"ws", "tcp", "udp", "sio", "raw"}))
      ->capture_default_str();
  app.add_option("--url", o.url,
                 "WebSocket URL (ws://HOST:PORT/PATH); default ws://127.0.0.1:8080/echo");
  app.add_option("--target", o.target,
                 "HOST:PORT for tcp (default 127.0.0.1:9000) or udp (default 127.0.0.1:9001)");
  app.add_option("--conns", o.conns, "Connections")
      ->check(CLI::Range(1u, 1000000u))
      ->capture_default_str();
  app.add_option("--size", o.size, "Message payload bytes")
      ->check(CLI::Range(uint64_t{0}, uint64_t{64} << 20))
      ->capture_default_str();
  app.add_option("--pipeline", o.pipeline, "Messages in flight per connection")
      ->check(CLI::Range(1u, 100000u))
      ->capture_default_str();
  app.add_option("--duration", o.duration, "Seconds measured")
      ->check(CLI::Range(0.1, 86400.0))
      ->capture_default_str();
  app.add_option("--warmup", o.warmup, "Seconds run before measuring")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  app.add_option("--threads", o.threads, "Load threads (one io_uring each)")
      ->check(CLI::Range(1u, 256u))
      ->capture_default_str();
  app.add_option("--rate", o.rate,
                 "Open loop: send this many messages per second in all, on a schedule; latency "
                 "counts from each message's intended send time (default: closed loop)")
      ->check(CLI::Range(0.0, 1e9));
  app.add_option("--rooms", o.rooms, "fanout: rooms (member i joins room i % rooms)")
      ->check(CLI::Range(1u, 1000000u))
      ->capture_default_str();
  app.add_option("--pubs", o.pubs, "fanout: publishing connections (publisher j: room j % rooms)")
      ->check(CLI::Range(1u, 1000000u))
      ->capture_default_str();
  app.add_option("--members", o.members, "fanout: member connections")
      ->check(CLI::Range(1u, 1000000u))
      ->capture_default_str();
  app.add_option(
         "--sio-members", o.sio_members,
         "--proto sio: the members' Engine.IO transport (publishers use WebSocket); "
         "polling: one keep-alive connection per member, long-polling GETs and POSTs in turn")
      ->check(CLI::IsMember({"websocket", "polling"}))
      ->capture_default_str();
  app.add_option("--churn", o.churn,
                 "fanout: members per second that drop their connection (a TCP reset) and come "
                 "back with since/epoch; every seq must still arrive exactly once")
      ->check(CLI::Range(0.0, 1e6));
  app.add_option("--ckeys", o.ckeys,
                 "fanout --proto ws or tcp: publishes carry conflation keys k0..k<N-1>, in turn "
                 "(for the gateway's --slow-consumer=conflate); skipped seqs the gateway told as "
                 "conflated are not losses")
      ->check(CLI::Range(0u, 1000000000u));
  app.add_option("--slow-members", o.slow_members,
                 "fanout: the first N members read only 5 ms out of every 500 (no latency "
                 "recorded for them)")
      ->check(CLI::Range(0u, 1000000u));
  app.add_option("--json", o.json, "Also write the results to this file as JSON");
  app.add_option("--server-pid", o.server_pid, "connect: report this process's RSS per connection");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    for (char& c : what) {
      if (c == '\n') c = ' ';
    }
    std::fprintf(stderr, "ringgate-bench: %s (see --help)\n", what.c_str());
    return 2;
  }
  try {
    return rg::bench::run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ringgate-bench: %s\n", e.what());
    return 1;
  }
}
