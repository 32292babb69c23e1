#!/usr/bin/env bash
# Shows that scripts/lint.sh passes a clean tree and fails, naming the file, on each kind of
# problem CI must catch: a misformatted C++ file, a .nix file that does not parse, a script that
# fails 'bash -n', and a script that fails shellcheck.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
lint="$repo/scripts/lint.sh"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
git init -q .
cp "$repo/.clang-format" .
printf 'int add(int a, int b) {\n  return a + b;\n}\n' >good.cc
printf '{ a = 1; }\n' >good.nix
printf '#!/usr/bin/env bash\necho "ok"\n' >good.sh

expect_pass() {
  if ! "$lint" "$work" >/dev/null 2>"$work/err"; then
    echo "FAIL: expected a clean tree, lint said: $(cat "$work/err")"
    exit 1
  fi
}
expect_fail() {  # file, message fragment
  if "$lint" "$work" >/dev/null 2>"$work/err"; then
    echo "FAIL: lint passed with $1 in the tree"
    exit 1
  fi
  if ! grep -q -- "$1.*$2" "$work/err"; then
    echo "FAIL: lint did not name $1 ($2); it said: $(cat "$work/err")"
    exit 1
  fi
  rm -f "$1"
  expect_pass
}

expect_pass
printf 'int  add(int a,int b){return a+b;}\n' >bad.cc
expect_fail bad.cc "not formatted"
printf '{ a = 1\n' >bad.nix
expect_fail bad.nix "does not parse"
printf '#!/usr/bin/env bash\nif then fi\n' >badsyntax
expect_fail badsyntax "bash -n"
# shellcheck disable=SC2016 # the $x is meant literally: it is the bad script under test
printf '#!/usr/bin/env bash\nx="a b"\nrm $x\n' >badquote.sh
expect_fail badquote.sh "shellcheck"
echo "lint_test: 1 passed, 0 failed"
