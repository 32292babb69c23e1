#!/usr/bin/env bash
# Tree checks that CI runs besides the test suite:
#   format  - every C/C++ file matches .clang-format (clang-format --dry-run --Werror)
#   nix     - every *.nix file parses (nix-instantiate --parse)
#   shell   - every shell script passes 'bash -n' and shellcheck
# Usage: scripts/lint.sh [--fix-format] [DIR]   (DIR defaults to the repository root)
# Checks the files git tracks plus untracked, non-ignored ones. Exits 1 on any finding.
set -euo pipefail

fix_format=0
if [[ "${1:-}" == "--fix-format" ]]; then
  fix_format=1
  shift
fi
root="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
cd "$root"

failures=0
fail() {
  echo "lint: $*" >&2
  failures=$((failures + 1))
}

mapfile -t files < <(git ls-files --cached --others --exclude-standard | sort -u)

# --- format -----------------------------------------------------------------------------
cpp_files=()
for f in "${files[@]}"; do
  [[ -f "$f" ]] || continue
  case "$f" in
    *.cc | *.cpp | *.h | *.hpp | *.c) cpp_files+=("$f") ;;
  esac
done
if [[ ${#cpp_files[@]} -gt 0 ]]; then
  if [[ $fix_format -eq 1 ]]; then
    clang-format -i "${cpp_files[@]}"
  fi
  for f in "${cpp_files[@]}"; do
    if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
      fail "$f is not formatted (run: scripts/lint.sh --fix-format)"
    fi
  done
fi

# --- nix --------------------------------------------------------------------------------
# nix-bin warns about a missing build group when no Nix daemon is set up; parsing needs none.
export NIX_CONFIG="build-users-group ="
for f in "${files[@]}"; do
  [[ "$f" == *.nix && -f "$f" ]] || continue
  if ! out="$(nix-instantiate --parse "$f" 2>&1 >/dev/null)"; then
    fail "$f does not parse: $(grep -m1 'error' <<<"$out")"
  fi
done

# --- shell ------------------------------------------------------------------------------
for f in "${files[@]}"; do
  [[ -f "$f" ]] || continue
  is_script=0
  case "$f" in
    *.sh) is_script=1 ;;
    *.*) ;;
    *) head -n1 "$f" | grep -qE '^#!.*\b(ba)?sh\b' && is_script=1 ;;
  esac
  [[ $is_script -eq 1 ]] || continue
  if ! out="$(bash -n "$f" 2>&1)"; then
    fail "$f fails 'bash -n': $(head -n1 <<<"$out")"
  elif ! out="$(shellcheck -x -f gcc "$f" 2>&1)"; then
    fail "$f fails shellcheck: $(head -n1 <<<"$out")"
  fi
done

if [[ $failures -gt 0 ]]; then
  echo "lint: ${failures} problem(s)" >&2
  exit 1
fi
echo "lint: ${#cpp_files[@]} C/C++ files formatted, nix files parse, shell scripts clean"
