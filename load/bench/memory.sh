#!/usr/bin/env bash
# The harness's peak memory against a hostile target (load/bench/hostile.py: a ~8 MB JWKS of
# 100,000 keys, 5 MB JWT access tokens), read from `/usr/bin/time -v` (Maximum resident set
# size). Loopback only; the target is stopped when the script ends.
#   load/bench/memory.sh            # after cargo build --release --bin oauthspec
set -euo pipefail
cd "$(dirname "$0")/../.."
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 load/bench/hostile.py "$port" &
target=$!
trap 'kill $target 2>/dev/null' EXIT
for _ in $(seq 100); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/.well-known/x', timeout=1)" 2>/dev/null && break
  sleep 0.2
done
dir=$(mktemp -d)
cat > "$dir/hostile.toml" <<TOML
name = "hostile"
kind = "oauth"
issuer = "http://127.0.0.1:$port"

[[clients]]
id = "client"
secret = "client-secret-0123456789abcdef"
auth_method = "client_secret_basic"
grant_types = ["client_credentials"]

[[resources]]
url = "http://127.0.0.1:$port/api"
method = "GET"
TOML
/usr/bin/time -v target/release/oauthspec check --target "$dir/hostile.toml" ${CONCURRENCY:+--concurrency $CONCURRENCY} ${TAGS:+--tags "$TAGS"} --report-dir "$dir/reports" \
  > "$dir/out.txt" 2> "$dir/time.txt" || true
grep -E "Maximum resident set size|Elapsed \(wall" "$dir/time.txt"
grep -E "^(PASS|FAIL|WARN|SKIP|ERROR)" "$dir/out.txt" | sort | uniq -c | sort -rn | head -40 || true
tail -n 3 "$dir/out.txt"
sed -n 1,40p "$dir/reports/summary.md" | cut -c1-220
