#!/usr/bin/env bash
# What the OpenID Connect areas add to `oauthspec check` against the bundled reference server
# (issue 16: at most 1 s). Runs the release binary RUNS times with the whole spec and RUNS times
# without the four OpenID Connect areas, alternating, and prints the median wall time of each
# and their difference. Nothing here sleeps: the reference server's test clock moves time.
#
#   cargo build --release --bin oauthspec
#   load/bench/oidc_check.sh            # RUNS=15 by default
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-target/release/oauthspec}
RUNS=${RUNS:-15}
OIDC='@id_token or @userinfo or @oidc_discovery or @authentication_request'
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

run() { # label, extra args...
  local label=$1; shift
  local start end
  start=$(date +%s%N)
  "$BIN" check --report-dir "$out/$label" "$@" >/dev/null 2>&1 || true
  end=$(date +%s%N)
  echo $(( (end - start) / 1000000 )) >>"$out/$label.ms"
}

for _ in $(seq "$RUNS"); do
  run all
  run without --tags "not ($OIDC)"
  run oidc --tags "$OIDC"
done

median() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
all=$(median "$out/all.ms"); without=$(median "$out/without.ms"); oidc=$(median "$out/oidc.ms")
scenarios() { python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["scenarios"]))' "$out/$1/results.json"; }
echo "whole spec:            ${all} ms median of $RUNS ($(scenarios all) scenarios)"
echo "without the OIDC areas: ${without} ms median of $RUNS ($(scenarios without) scenarios)"
echo "the OIDC areas alone:  ${oidc} ms median of $RUNS ($(scenarios oidc) scenarios)"
echo "added by the OIDC areas: $(( all - without )) ms"
