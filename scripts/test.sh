#!/usr/bin/env bash
# The whole test suite: installs the Debian packages, builds the 'dev' preset (AddressSanitizer,
# UndefinedBehaviorSanitizer, warnings as errors), runs every ctest test, builds and briefly runs
# the libFuzzer target (the 'fuzz' preset, clang), then the tree checks: formatting, Nix parsing
# and shellcheck. Exits non-zero if anything fails.
# Extra arguments go to ctest, e.g. 'scripts/test.sh -L unit' or 'scripts/test.sh -R streamdb'.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
cmake --preset dev -DARCHIBALD_WERROR=ON
cmake --build --preset dev

# jack2 keeps a registry of at most 8 servers in shared memory and leaks an entry whenever a
# server dies uncleanly (a killed test, a stopped session). With no JACK server running nothing
# uses it, so the tests start from a clean registry instead of finding every slot taken.
if ! pgrep -x jackd >/dev/null && ! pgrep -x jackdbus >/dev/null; then
  rm -f /dev/shm/jack-shm-registry /dev/shm/jack_sem.* /dev/shm/jack-[0-9]* 2>/dev/null || true
fi

status=0
ctest --preset dev --parallel "$(nproc)" "$@" || status=1

# The libFuzzer targets are a build option (clang) that nothing above builds: build them and run
# each for 30 seconds from an empty corpus, so they keep compiling and keep finding nothing.
fuzzers=(streamdb/streamdb_fuzz hydramesh/hydramesh_packet_fuzzer)
cmake --preset fuzz >/dev/null
if cmake --build --preset fuzz --target "${fuzzers[@]##*/}"; then
  for fuzzer in "${fuzzers[@]}"; do
    corpus="$(mktemp -d)"
    log="build/fuzz/${fuzzer##*/}.log"
    if ! "build/fuzz/${fuzzer}" -max_total_time=30 -artifact_prefix=build/fuzz/ "$corpus" \
        >"$log" 2>&1; then
      tail -n 40 "$log"
      echo "test: ${fuzzer##*/} failed; its input is in build/fuzz/ (full log: $log)"
      status=1
    fi
    rm -rf "$corpus"
  done
else
  status=1
fi

scripts/lint.sh || status=1
exit "$status"
