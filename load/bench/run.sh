#!/usr/bin/env bash
# Reproduces the figures of load/BENCHMARKS.md on this machine (release build, loopback only,
# every run bounded by its --run-time / wrk -d, every server started here and stopped at the end).
#
#   load/bench/run.sh [RUN_TIME] [USERS]      # defaults: 10s 32
#
# 1. The bundled reference server, started by `oauthspec load` in its own process, with its
#    default SQLite store: every profile; then the in-memory store for three of them.
# 2. The oidc-provider and django-oauth-toolkit peers (scripts/install-peers), the same
#    profiles that they can serve, the same users and run time.
# 3. load/bench/wrk.sh: goose against wrk on the same server, GET /healthz and POST /token,
#    pinned and unpinned.
# 4. PROFILE=1: where each server spends its CPU (perf for the reference server, perf with
#    node --perf-basic-prof for oidc-provider, py-spy for django-oauth-toolkit;
#    bench/hotspots.py).
#
# Writes every report under reports/bench-<timestamp>/ and prints one line per measurement.
set -euo pipefail
cd "$(dirname "$0")/../.."
RT=${1:-10s}
USERS=${2:-32}
[ -n "${SKIP_BUILD:-}" ] || cargo build --release -q --bin oauthspec
BIN=$PWD/target/release/oauthspec
OUT=reports/bench-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
# Whatever this script started is stopped however it ends.
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -x target/peers/django-oauth-toolkit/setup.sh ] && [ -f target/peers/django-oauth-toolkit/server.pid ] &&
    target/peers/django-oauth-toolkit/setup.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
# One line per run: the verdict line of summary.md, and the ceiling and server memory lines.
line() {
  printf '%-44s ' "$1"
  grep -E '^\*\*(PASS|FAIL)' "$OUT/$1/summary.md" | head -1 || echo "(no summary)"
  grep -E 'generator-bound|own process|RSS' "$OUT/$1/summary.md" | sed 's/^/    /' || true
}
run() { # NAME PROFILE ARGS...
  local name=$1 profile=$2; shift 2
  "$BIN" load "$profile" --users "$USERS" --run-time "$RT" --report-dir "$OUT/$name" "$@" >/dev/null 2>"$OUT/$name.stderr" || true
  line "$name"
}

SECTIONS=${SECTIONS:-123}        # which of 1-3 to run (e.g. SECTIONS=2 for the peers only)
if [[ $SECTIONS == *1* ]]; then
echo "== 1. reference server (bundled, own process)"
for alg in EdDSA ES256 RS256; do
  run "reference-sqlite-client-credentials-$alg" client-credentials --signing-alg "$alg"
done
for p in authorization-code refresh introspection resource; do
  run "reference-sqlite-$p" "$p"
done
for p in client-credentials authorization-code refresh; do
  run "reference-memory-$p" "$p" --in-memory
done

fi
if [[ $SECTIONS == *2* ]]; then
echo "== 2. peers"
if [ -d target/peers/oidc-provider/node_modules ]; then
  P=$(free_port); RP=$(free_port)
  PORT=$P RS_PORT=$RP node target/peers/oidc-provider/server.mjs >"$OUT/oidc-provider.log" 2>&1 &
  NODE=$!; PIDS+=($NODE)
  wait_port "$P"
  sed -e "s/127.0.0.1:3000/127.0.0.1:$P/g" -e "s/127.0.0.1:3001/127.0.0.1:$RP/g" examples/targets/oidc-provider.toml > "$OUT/oidc-provider.toml"
  for p in client-credentials refresh; do
    run "oidc-provider-$p" "$p" --target "$OUT/oidc-provider.toml"
  done
  echo "    oidc-provider (node) memory: $(grep -E 'VmHWM' /proc/$NODE/status | tr -s ' \t' ' ')"
  kill -INT $NODE; wait $NODE 2>/dev/null || true
else
  echo "oidc-provider: not installed (run scripts/install-peers)"
fi
if [ -x target/peers/django-oauth-toolkit/setup.sh ]; then
  P=$(free_port)
  DOT_PORT=$P target/peers/django-oauth-toolkit/setup.sh >"$OUT/dot-setup.log" 2>&1
  wait_port "$P"
  sed -e "s/127.0.0.1:8750/127.0.0.1:$P/g" examples/targets/django-oauth-toolkit.toml > "$OUT/django-oauth-toolkit.toml"
  for p in client-credentials refresh; do
    run "django-oauth-toolkit-$p" "$p" --target "$OUT/django-oauth-toolkit.toml"
  done
  target/peers/django-oauth-toolkit/setup.sh stop >/dev/null 2>&1 || true
else
  echo "django-oauth-toolkit: not installed (run scripts/install-peers)"
fi

fi
if [[ $SECTIONS == *3* ]]; then
echo "== 3. goose against wrk"
if command -v wrk >/dev/null; then
  SKIP_BUILD=1 OUT_DIR="$OUT/wrk" load/bench/wrk.sh "$RT" "$USERS" both
else
  echo "wrk: not installed (apt-get install -y wrk)"
fi
fi

# 4. PROFILE=1: the same runs again under a profiler (separately: a profiler costs CPU, so
#    these runs give no figures), and the functions each server spends its CPU in.
if [ -n "${PROFILE:-}" ]; then
  echo "== 4. where each server spends its CPU"
  for name in client-credentials refresh; do
    for store in sqlite memory; do
      args=(); [ $store = memory ] && args=(--in-memory)
      d="$OUT/hotspots-reference-$store-$name"
      perf record -F 499 -o "$d.perf" -- "$BIN" load "$name" --users "$USERS" --run-time "$RT" \
        --no-baseline --report-dir "$d" "${args[@]}" >/dev/null 2>&1 || true
      pid=$(grep -oE 'own process \(pid [0-9]+' "$d/summary.md" 2>/dev/null | grep -oE '[0-9]+$' || true)
      echo "-- $name, $store store"
      if [ -n "$pid" ]; then python3 load/bench/hotspots.py perf "$d.perf" "$pid"; else echo "   (no summary: see $d)"; fi
    done
  done
  if [ -d target/peers/oidc-provider/node_modules ]; then
    P=$(free_port); RP=$(free_port)
    # --perf-basic-prof: node tells perf the names of its JIT-compiled functions.
    PORT=$P RS_PORT=$RP node --perf-basic-prof target/peers/oidc-provider/server.mjs >/dev/null 2>&1 &
    NODE=$!; PIDS+=($NODE); wait_port "$P"
    sed -e "s/127.0.0.1:3000/127.0.0.1:$P/g" -e "s/127.0.0.1:3001/127.0.0.1:$RP/g" examples/targets/oidc-provider.toml > "$OUT/oidc-provider.toml"
    perf record -F 499 -p $NODE -o "$OUT/hotspots-oidc-provider.perf" >/dev/null 2>&1 &
    PERF=$!; PIDS+=($PERF)
    "$BIN" load client-credentials --target "$OUT/oidc-provider.toml" --users "$USERS" --run-time "$RT" \
      --no-baseline --report-dir "$OUT/hotspots-oidc-provider-run" >/dev/null 2>&1 || true
    kill -INT $PERF; wait $PERF 2>/dev/null || true
    echo "-- oidc-provider, client-credentials"; python3 load/bench/hotspots.py perf "$OUT/hotspots-oidc-provider.perf" $NODE
    kill -INT $NODE; wait $NODE 2>/dev/null || true
    rm -f /tmp/perf-$NODE.map
  fi
  if [ -x target/peers/django-oauth-toolkit/setup.sh ] && [ -x target/peers/venv/bin/py-spy ]; then
    P=$(free_port)
    DOT_PORT=$P target/peers/django-oauth-toolkit/setup.sh >/dev/null 2>&1; wait_port "$P"
    sed -e "s/127.0.0.1:8750/127.0.0.1:$P/g" examples/targets/django-oauth-toolkit.toml > "$OUT/django-oauth-toolkit.toml"
    target/peers/venv/bin/py-spy record --subprocesses --format raw --rate 100 --nonblocking \
      --pid "$(cat target/peers/django-oauth-toolkit/server.pid)" -o "$OUT/hotspots-dot.txt" >/dev/null 2>&1 &
    SPY=$!; PIDS+=($SPY)
    "$BIN" load client-credentials --target "$OUT/django-oauth-toolkit.toml" --users "$USERS" --run-time "$RT" \
      --no-baseline --report-dir "$OUT/hotspots-dot-run" >/dev/null 2>&1 || true
    kill -INT $SPY 2>/dev/null || true; wait $SPY 2>/dev/null || true
    target/peers/django-oauth-toolkit/setup.sh stop >/dev/null 2>&1 || true
    echo "-- django-oauth-toolkit, client-credentials"; python3 load/bench/hotspots.py pyspy "$OUT/hotspots-dot.txt"
  else
    echo "django-oauth-toolkit hotspots: needs py-spy (target/peers/venv/bin/pip install py-spy)"
  fi
fi
echo "reports: $OUT"
