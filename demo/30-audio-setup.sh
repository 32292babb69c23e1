#!/usr/bin/env bash
# audio-setup demo part: the real-time readiness report for this machine, what `apply` would
# change (dry run, nothing is touched), the NixOS snippet, and a short scheduling-latency run
# with an SVG histogram.
set -euo pipefail

bin="${ARCHIBALD_BUILD_DIR:?run through scripts/demo.sh}/audio-setup/audio-setup"
out="${ARCHIBALD_DEMO_DIR:?run through scripts/demo.sh}/audio-setup"
mkdir -p "$out"

echo "--- audio-setup check (this machine) ---"
# The exit status is the worst finding (0 ok, 1 warn, 3 fail); a report with findings is not a
# demo failure.
status=0
"$bin" check || status=$?
echo "(check exit status: $status)"
"$bin" check --json >"$out/check.json" || true

echo
echo "--- audio-setup apply --dry-run (prints every change, touches nothing) ---"
"$bin" apply --dry-run || true

echo
echo "--- audio-setup nix (the same fixes as NixOS options) ---"
"$bin" nix | tee "$out/audio-setup.nix"
NIX_CONFIG="build-users-group =" nix-instantiate --parse "$out/audio-setup.nix" >/dev/null &&
  echo "(the snippet parses with nix-instantiate --parse)"

echo
echo "--- audio-setup latency: 5 s, 1 ms interval, SCHED_FIFO 80, every CPU ---"
"$bin" latency --duration 5 --interval 1000 --priority 80 --svg "$out/latency.svg"
echo "histogram plot: $out/latency.svg"
