#!/usr/bin/env bash
# The whole test suite: installs the Debian packages, builds the 'dev' preset (AddressSanitizer,
# UndefinedBehaviorSanitizer, warnings as errors), runs every ctest test, then the tree checks
# (formatting, Nix parsing, shellcheck). Exits non-zero if anything fails.
# Extra arguments go to ctest, e.g. 'scripts/test.sh -L unit' or 'scripts/test.sh -R streamdb'.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
cmake --preset dev -DARCHIBALD_WERROR=ON
cmake --build --preset dev

status=0
ctest --preset dev --parallel "$(nproc)" "$@" || status=1
scripts/lint.sh || status=1
exit "$status"
