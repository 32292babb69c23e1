#!/usr/bin/env bash
# The ArchibaldOS demo: installs the Debian packages, builds the 'release' preset, then runs
# every part in demo/ in order (each component adds its own numbered part).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
cmake --preset release
cmake --build --preset release

export ARCHIBALD_BUILD_DIR="$PWD/build/release"
export ARCHIBALD_DEMO_DIR="$PWD/demo/run"
rm -rf "$ARCHIBALD_DEMO_DIR"
mkdir -p "$ARCHIBALD_DEMO_DIR"

shopt -s nullglob
parts=(demo/[0-9][0-9]-*.sh)
if [[ ${#parts[@]} -eq 0 ]]; then
  echo "demo: build complete; no component has added its demo part yet."
  exit 0
fi
for part in "${parts[@]}"; do
  echo
  echo "=== demo: ${part#demo/} ==="
  bash "$part"
done
echo
echo "demo: all ${#parts[@]} part(s) finished"
