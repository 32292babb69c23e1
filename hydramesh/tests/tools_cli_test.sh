#!/usr/bin/env bash
# The command-line contract of hydramesh-probe and hydramesh-relay: --help exits 0; an unknown
# flag, a malformed value or a stray argument exits 2 with exactly one line naming it, before
# any JACK server or socket is touched.
#
# With --bench, the same contract for bench/hydramesh's hydramesh_bench.
#
# Usage: tools_cli_test.sh HYDRAMESH_PROBE HYDRAMESH_RELAY
#        tools_cli_test.sh --bench HYDRAMESH_BENCH
set -uo pipefail

usage="usage: tools_cli_test.sh HYDRAMESH_PROBE HYDRAMESH_RELAY | --bench HYDRAMESH_BENCH"
failures=0

# expect CODE NEEDLE COMMAND...: exit status CODE; with a NEEDLE, exactly one line on stderr
# containing it.
expect() {
  local code="$1" needle="$2"
  shift 2
  local err rc
  err="$("$@" 2>&1 >/dev/null)"
  rc=$?
  if ((rc != code)); then
    echo "FAIL: '$*' exited $rc, expected $code: $err"
    failures=$((failures + 1))
  elif [[ -n "$needle" && ("$(wc -l <<<"$err")" != 1 || "$err" != *"$needle"*) ]]; then
    echo "FAIL: '$*' should print one line naming '$needle', printed: $err"
    failures=$((failures + 1))
  fi
}

if [[ "${1:-}" == --bench ]]; then
  bench="${2:?$usage}"
  expect 0 "" "$bench" --help
  expect 2 "--frobnicate" "$bench" --frobnicate
  expect 2 "--periods" "$bench" --periods 64,abc
  expect 2 "--periods" "$bench" --periods 7
  expect 2 "--tools" "$bench" --tools hydramesh,jamulus
  expect 2 "--jitter-ms" "$bench" --jitter-ms 1x
  expect 2 "--loss" "$bench" --loss 101
  expect 2 "stray" "$bench" stray
  ((failures == 0)) && echo "ok: hydramesh_bench command line"
  exit $((failures != 0))
fi

probe="${1:?$usage}"
relay="${2:?$usage}"
expect 0 "" "$probe" --help
expect 0 "" "$relay" --help
expect 2 "--frobnicate" "$probe" --frobnicate
expect 2 "--frobnicate" "$relay" --frobnicate
expect 2 "sine:abc" "$probe" --server none --play x:y --signal sine:abc
expect 2 "sine:" "$probe" --server none --play x:y --signal sine:
expect 2 "sine:-5" "$probe" --server none --play x:y --signal sine:-5
expect 2 "square" "$probe" --server none --play x:y --signal square
expect 2 "--milliseconds" "$probe" --server none --milliseconds 5
expect 2 "stray" "$probe" --server none stray
relay_ends=(--listen 127.0.0.1:9 --forward 127.0.0.1:9)
expect 2 "--loss" "$relay" "${relay_ends[@]}" --loss 101
expect 2 "--duplicate" "$relay" "${relay_ends[@]}" --duplicate 1x
expect 2 "--jitter-ms" "$relay" "${relay_ends[@]}" --jitter-ms -1
expect 2 "--reorder-ms" "$relay" "${relay_ends[@]}" --reorder-ms ""
# A well-formed call gets as far as JACK and fails there, exit 1, with its own line last (libjack
# prints its own complaints first).
err="$(JACK_NO_START_SERVER=1 "$probe" --server "no-such-server-$$" --play x:y \
  --signal sine:440.5 2>&1 >/dev/null)"
rc=$?
if ((rc != 1)) || [[ "$(tail -n 1 <<<"$err")" != "hydramesh-probe: cannot connect to JACK server"* ]]; then
  echo "FAIL: probe without a JACK server exited $rc: $err"
  failures=$((failures + 1))
fi

((failures == 0)) && echo "ok: hydramesh-probe and hydramesh-relay command lines"
exit $((failures > 0))
