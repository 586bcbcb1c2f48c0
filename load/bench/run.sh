#!/usr/bin/env bash
# Reproduces the figures of load/BENCHMARKS.md on this machine (release build, loopback only,
# every run bounded by its --run-time / wrk -d).
#
#   load/bench/run.sh [RUN_TIME] [USERS]      # defaults: 10s 32
#
# Writes every report under reports/bench-<timestamp>/ and prints one line per measurement.
set -euo pipefail
cd "$(dirname "$0")/../.."
RT=${1:-10s}
USERS=${2:-32}
SECS=${RT%s}
[ -n "${SKIP_BUILD:-}" ] || cargo build --release -q --bin oauthspec
BIN=target/release/oauthspec
OUT=reports/bench-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
line() { grep -E '^\*\*(PASS|FAIL)' "$1/summary.md" | head -1; grep -E 'reached|RSS' "$1/summary.md" || true; }

# 1. The bundled reference server (its own process), each profile, then /healthz in the same run.
for alg in EdDSA ES256 RS256; do
  "$BIN" load client-credentials --signing-alg "$alg" --users "$USERS" --run-time "$RT" --report-dir "$OUT/client-credentials-$alg" >/dev/null
  echo "client-credentials $alg:"; line "$OUT/client-credentials-$alg"
done
for p in refresh introspection resource; do
  "$BIN" load "$p" --users "$USERS" --run-time "$RT" --report-dir "$OUT/$p" >/dev/null
  echo "$p:"; line "$OUT/$p"
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# 2. The oidc-provider peer (scripts/install-peers), measured the same way.
if [ -d target/peers/oidc-provider/node_modules ]; then
  P=$(free_port); RP=$(free_port)
  PORT=$P RS_PORT=$RP node target/peers/oidc-provider/server.mjs >/dev/null 2>&1 &
  NODE=$!
  trap 'kill $NODE 2>/dev/null || true' EXIT
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$P) 2>/dev/null && break; sleep 0.1; done
  sed -e "s/127.0.0.1:3000/127.0.0.1:$P/g" -e "s/127.0.0.1:3001/127.0.0.1:$RP/g" examples/targets/oidc-provider.toml > "$OUT/oidc-provider.toml"
  "$BIN" load client-credentials --target "$OUT/oidc-provider.toml" --users "$USERS" --run-time "$RT" --report-dir "$OUT/oidc-provider-client-credentials" >/dev/null
  echo "oidc-provider client-credentials:"; line "$OUT/oidc-provider-client-credentials"
  echo "oidc-provider RSS: $(grep VmHWM /proc/$NODE/status)"
  kill $NODE; wait $NODE 2>/dev/null || true
  trap - EXIT
else
  echo "oidc-provider: not installed (run scripts/install-peers)"
fi

# 3. goose vs wrk on the same endpoints of one reference server started by hand.
if command -v wrk >/dev/null; then
  P=$(free_port)
  "$BIN" serve --in-memory --bind "127.0.0.1:$P" >/dev/null &
  SRV=$!
  trap 'kill $SRV 2>/dev/null || true' EXIT
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$P) 2>/dev/null && break; sleep 0.1; done
  sed -e "s/127.0.0.1:8080/127.0.0.1:$P/g" examples/targets/reference.toml > "$OUT/reference.toml"
  echo "wrk GET /healthz ($USERS connections, 1 thread):"
  wrk -t1 -c"$USERS" -d"$RT" "http://127.0.0.1:$P/healthz" | grep -E 'Requests/sec|Latency|Non-2xx' || true
  "$BIN" load healthz --target "$OUT/reference.toml" --users "$USERS" --run-time "$RT" --report-dir "$OUT/goose-healthz" >/dev/null
  echo "goose GET /healthz:"; line "$OUT/goose-healthz"
  # The token endpoint: a client registered once, then the same form for both tools.
  REG=$(curl -s -X POST -H 'Content-Type: application/json' "http://127.0.0.1:$P/register" \
    -d '{"redirect_uris":["http://127.0.0.1:8765/callback"],"grant_types":["client_credentials"],"response_types":[],"token_endpoint_auth_method":"client_secret_basic"}')
  ID=$(printf '%s' "$REG" | python3 -c 'import json,sys; print(json.load(sys.stdin)["client_id"])')
  SECRET=$(printf '%s' "$REG" | python3 -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])')
  BASIC=$(printf '%s:%s' "$ID" "$SECRET" | base64 -w0)
  cat > "$OUT/token.lua" <<LUA
wrk.method = "POST"
wrk.body = "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $BASIC"
wrk.headers["Accept"] = "application/json"
LUA
  echo "wrk POST /token client_credentials ($USERS connections, 1 thread):"
  wrk -t1 -c"$USERS" -d"$RT" -s "$OUT/token.lua" "http://127.0.0.1:$P/token" | grep -E 'Requests/sec|Latency|Non-2xx' || true
  "$BIN" load client-credentials --target "$OUT/reference.toml" --users "$USERS" --run-time "$RT" --no-baseline --report-dir "$OUT/goose-token" >/dev/null
  echo "goose POST /token client_credentials:"; line "$OUT/goose-token"
  echo "reference server RSS after all of it: $(grep VmHWM /proc/$SRV/status)"
  kill $SRV; wait $SRV 2>/dev/null || true
  trap - EXIT
fi
echo "reports: $OUT"
