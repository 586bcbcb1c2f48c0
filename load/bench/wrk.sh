#!/usr/bin/env bash
# goose (`oauthspec load`) against wrk on the same reference server, same endpoints, one after
# the other, in one run: GET /healthz and POST /token (client_credentials, one pre-registered
# client, the same form and Basic credentials for both tools).
#
#   load/bench/wrk.sh [RUN_TIME] [USERS] [pinned|unpinned|both]     # defaults: 10s 32 both
#   REPEAT=3 load/bench/wrk.sh …                                    # each mode three times
#
# "pinned" runs the server on CPU 0 and the generator (wrk or oauthspec) on CPU 1 (taskset);
# "unpinned" lets the OS schedule both on every core. The server keeps its default SQLite store
# (in a temporary directory). Reports land in reports/wrk-<timestamp>/ (or $OUT_DIR).
set -euo pipefail
cd "$(dirname "$0")/../.."
RT=${1:-10s}
USERS=${2:-32}
MODES=${3:-both}
[ "$MODES" = both ] && MODES="unpinned pinned"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install -y wrk)" >&2; exit 2; }
[ -n "${SKIP_BUILD:-}" ] || cargo build --release -q --bin oauthspec
BIN=target/release/oauthspec
OUT=${OUT_DIR:-reports/wrk-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

DATA=$(mktemp -d)
SRV=
trap 'kill $SRV 2>/dev/null || true; rm -rf "$DATA"' EXIT
for round in $(seq "${REPEAT:-1}"); do
for mode in $MODES; do
  if [ "$mode" = pinned ]; then SRV_CPU=(taskset -c 0); GEN_CPU=(taskset -c 1); else SRV_CPU=(); GEN_CPU=(); fi
  P=$(free_port)
  rm -rf "$DATA/$mode"; mkdir -p "$DATA/$mode"
  "${SRV_CPU[@]}" "$BIN" serve --data-dir "$DATA/$mode" --bind "127.0.0.1:$P" >/dev/null &
  SRV=$!
  up=
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$P) 2>/dev/null && { up=1; break; }; sleep 0.1; done
  [ -n "$up" ] || { echo "the reference server did not listen on $P" >&2; exit 1; }
  sed -e "s/127.0.0.1:8080/127.0.0.1:$P/g" examples/targets/reference.toml > "$OUT/reference-$mode.toml"
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
  # The same client for goose: the profile's client credentials replaced by the registered one.
  python3 - "$OUT/reference-$mode.toml" "$ID" "$SECRET" <<'PY'
import re, sys
path, cid, secret = sys.argv[1:]
text = open(path).read()
text += f'''
[[clients]]
id = "{cid}"
secret = "{secret}"
auth_method = "client_secret_basic"
grant_types = ["client_credentials"]
'''
open(path, "w").write(text)
PY
  # Requests/sec, or "0" with the reason when some answers were not 2xx (then no ratio means anything).
  wrk_rate() { "${GEN_CPU[@]}" wrk -t1 -c"$USERS" -d"$RT" "$@" | awk '/Requests\/sec/ {r=$2} /Non-2xx/ {bad=$0} END {if (bad) print "0 (" bad ")"; else print r}'; }
  goose() { "${GEN_CPU[@]}" "$BIN" load "$1" --target "$OUT/reference-$mode.toml" --users "$USERS" --run-time "$RT" --no-baseline --report-dir "$OUT/$round-$mode-goose-$1" >/dev/null || true;
            python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
n = sum(q["count"] for q in r["requests"].values() if not q["setup"])
f = sum(q["failures"] for q in r["requests"].values() if not q["setup"])
a, b = r["window_unix_us"]
print(f"{n / ((b - a) / 1e6):.0f} ({f} failed)")' "$OUT/$round-$mode-goose-$1/result.json"; }
  WH=$(wrk_rate "http://127.0.0.1:$P/healthz")
  GH=$(goose healthz)
  WT=$(wrk_rate -s "$OUT/token.lua" "http://127.0.0.1:$P/token")
  GT=$(goose client-credentials)
  ratio() { python3 -c 'import sys; w = float(sys.argv[1].split()[0]); print(f"{float(sys.argv[2].split()[0]) / w:.2f}" if w else "n/a")' "$1" "$2"; }
  echo "$mode GET /healthz: wrk $WH goose $GH  goose/wrk $(ratio "$WH" "$GH")"
  echo "$mode POST /token:  wrk $WT goose $GT  goose/wrk $(ratio "$WT" "$GT")"
  kill $SRV; wait $SRV 2>/dev/null || true
  SRV=
done
done
echo "reports: $OUT"
