#!/usr/bin/env bash
# Evaluates ArchibaldOS's Nix code with nixpkgs' `lib` alone:
#   eval-modules.nix   - module logic (option -> NixOS setting mappings, assertions)
#   flake-outputs.nix  - flake.nix's outputs, the host configurations, and every output that
#                        docs/distribution.md names
# and, when HYDRAMESHD names a built daemon, checks that the config file services.hydramesh
# writes is one the daemon accepts (hydrameshd --check-config).
#
# NIXPKGS_LIB must name a checkout of nix-community/nixpkgs.lib (the folder holding lib/).
# Without it the test reports itself skipped (exit 77: ctest's skip, not a pass).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [[ -z "${NIXPKGS_LIB:-}" ]]; then
  echo "SKIPPED: NIXPKGS_LIB is not set; point it at a checkout of nix-community/nixpkgs.lib" \
    "(the folder holding lib/) to evaluate the NixOS modules"
  exit 77
fi
if [[ ! -f "$NIXPKGS_LIB/lib/default.nix" ]]; then
  echo "NIXPKGS_LIB=$NIXPKGS_LIB has no lib/default.nix; it must be a nixpkgs.lib checkout" >&2
  exit 1
fi
export NIXPKGS_LIB
export NIX_CONFIG="build-users-group ="

passed=0
failed=0
report() {  # ok name detail
  if [[ "$1" == "true" ]]; then
    echo "ok   $2"
    passed=$((passed + 1))
  else
    echo "FAIL $2"
    echo "     found: $3"
    failed=$((failed + 1))
  fi
}

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
# flake.nix calls `import nixpkgs { system; overlays; }`: stand in a nixpkgs that does so with
# the stub package set, the lib checkout's path baked in.
mkdir -p "$scratch/nixpkgs"
printf 'args: import %s/stub-nixpkgs.nix (args // { libPath = %s; })\n' "$here" "$NIXPKGS_LIB" \
  >"$scratch/nixpkgs/default.nix"

for file in eval-modules.nix flake-outputs.nix; do
  if ! nix-instantiate --eval --strict --json "$here/$file" --arg libPath "$NIXPKGS_LIB" \
    --arg stubNixpkgs "$scratch/nixpkgs" >"$scratch/result.json" 2>"$scratch/err"; then
    report false "$file evaluates" "$(grep -m1 error "$scratch/err")"
    continue
  fi
  while IFS=$'\t' read -r ok name detail; do
    report "$ok" "$name" "$detail"
  done < <(jq -r '.checks[] | [(.ok | tostring), .name, .detail] | @tsv' "$scratch/result.json")
  if [[ "$file" == eval-modules.nix && -n "${HYDRAMESHD:-}" ]]; then
    jq -r '.hydrameshConfig' "$scratch/result.json" >"$scratch/hydramesh.json"
    if out="$("$HYDRAMESHD" --check-config "$scratch/hydramesh.json" 2>&1)"; then
      report true "services.hydramesh writes a config hydrameshd accepts" ""
    else
      report false "services.hydramesh writes a config hydrameshd accepts" "$out"
    fi
  fi
done

echo "nix-eval: $passed passed, $failed failed"
[[ $failed -eq 0 && $passed -gt 0 ]]
