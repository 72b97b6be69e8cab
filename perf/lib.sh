# Shared by perf/record and perf/stat: build, start a pinned gateway, run a pinned load.
# Sourced, not run. Sets RG_PID, RG_WS, RG_TCP; defines start_gateway, start_load, cleanup.
# RG_ARGS: more arguments for the gateway (before/after a switch, e.g.
# RG_ARGS=--registered-files=off perf/stat).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SERVER_CPU=${SERVER_CPU:-0}
BENCH_CPU=${BENCH_CPU:-1}

need_perf() {
  if ! command -v perf >/dev/null 2>&1; then
    echo "perf: installing Debian's linux-perf" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-perf >/dev/null
  fi
  # perf_event_paranoid above 1 forbids profiling other processes unless root.
  if [ "$(id -u)" -ne 0 ] && [ "$(cat /proc/sys/kernel/perf_event_paranoid)" -gt 1 ]; then
    echo "perf: kernel.perf_event_paranoid=$(cat /proc/sys/kernel/perf_event_paranoid) forbids" \
         "profiling another process: run as root or sysctl -w kernel.perf_event_paranoid=1" >&2
    exit 1
  fi
}

# build PRESET: the gateway and the load generator of that tree.
build() {
  "$ROOT/tools/bootstrap"
  cmake --preset "$1" -S "$ROOT" >/dev/null
  cmake --build --preset "$1" --target ringgate ringgate-bench >/dev/null
  BUILD="$ROOT/build/$1"
}

start_gateway() {
  GATEWAY_LOG=$(mktemp)
  taskset -c "$SERVER_CPU" "$BUILD/gateway/ringgate" --shards 1 --tcp-port 0 --udp-port 0 --tcp-echo-port 0 \
    --ws-port 0 --admin-port 0 --idle-timeout 0 --ping-interval 0 ${RG_ARGS:-} >"$GATEWAY_LOG" 2>&1 &
  RG_PID=$!
  for _ in $(seq 100); do
    grep -q 'ringgate listening' "$GATEWAY_LOG" && break
    sleep 0.05
  done
  RG_WS=$(grep -o 'ws=[^ ]*' "$GATEWAY_LOG" | cut -d= -f2)
  RG_TCP=$(grep -o 'tcp-echo=[^ ]*' "$GATEWAY_LOG" | cut -d= -f2)
  [ -n "$RG_WS" ] || { cat "$GATEWAY_LOG" >&2; echo "perf: the gateway did not start" >&2; exit 1; }
}

# start_load SECONDS JSON ARGS...: ringgate-bench in the background with a 1 s warm-up;
# the default scenario is 16 B WebSocket echo over 100 connections.
start_load() {
  local seconds=$1 json=$2
  shift 2
  local args=("$@")
  [ ${#args[@]} -gt 0 ] || args=(echo --proto ws --conns 100 --size 16 --pipeline 1)
  if printf '%s\n' "${args[@]}" | grep -qx -- '--proto' && printf '%s\n' "${args[@]}" | grep -qx tcp; then
    args+=(--target "$RG_TCP")
  elif printf '%s\n' "${args[@]}" | grep -qx raw; then
    args+=(--url "ws://$RG_WS/raw/")  # fanout --proto raw: broadcast rooms
  elif [ "${args[0]}" = fanout ]; then
    args+=(--url "ws://$RG_WS/")
  else
    args+=(--url "ws://$RG_WS/echo")
  fi
  taskset -c "$BENCH_CPU" "$BUILD/bench/ringgate-bench" "${args[@]}" --warmup 1 \
    --duration "$seconds" --json "$json" >"$json.log" 2>&1 &
  LOAD_PID=$!
}

cleanup() {
  [ -n "${LOAD_PID:-}" ] && kill "$LOAD_PID" 2>/dev/null
  [ -n "${RG_PID:-}" ] && kill "$RG_PID" 2>/dev/null
  wait 2>/dev/null
  rm -f "${GATEWAY_LOG:-}"
}
trap cleanup EXIT
