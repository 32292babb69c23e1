#!/usr/bin/env bash
# Installs the streamdb component of BUILD_DIR into a temporary prefix, then builds against
# the installed files only: the C test program through pkg-config, and a C++ program through
# find_package(StreamDB). Both must compile, link and run.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR "SANITIZE_FLAGS"
set -euo pipefail
build_dir="$1"
source_dir="$2"
sanitize="${3:-}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"

cmake --install "$build_dir" --component streamdb --prefix "$prefix" >/dev/null
pc_dir="$(dirname "$(find "$prefix" -name streamdb.pc | head -n1)")"
[[ -f "$prefix/include/streamdb/streamdb.h" ]] || { echo "streamdb.h not installed" >&2; exit 1; }
[[ -x "$prefix/bin/streamdb" ]] || { echo "streamdb CLI not installed" >&2; exit 1; }

# C, through pkg-config.
read -r -a pc_flags <<<"$(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags --libs streamdb)"
libdir="$(PKG_CONFIG_PATH="$pc_dir" pkg-config --variable=libdir streamdb)"
read -r -a san <<<"$sanitize"
cc -std=c11 -Wall -Werror "${san[@]}" "$source_dir/tests/c_api_test.c" "${pc_flags[@]}" \
  -lpthread -Wl,-rpath,"$libdir" -o "$work/c_consumer"
"$work/c_consumer" "$work"

# C++, through the CMake package.
mkdir -p "$work/cxx"
cat >"$work/cxx/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(consumer CXX)
find_package(StreamDB REQUIRED)
add_executable(consumer main.cc)
target_link_libraries(consumer PRIVATE streamdb::streamdb)
CMAKE
cat >"$work/cxx/main.cc" <<'CXX'
#include <cstdio>
#include <streamdb/db.h>
int main(int, char** argv) {
  auto db = streamdb::DB::open(std::string(argv[1]) + "/db", {});
  if (!db.ok()) { std::fprintf(stderr, "%s\n", db.status().to_string().c_str()); return 1; }
  if (!(*db)->put({}, "/a/b.wav", "data").ok()) return 1;
  auto v = (*db)->get({}, "/a/b.wav");
  if (!v.ok() || *v != "data") return 1;
  std::puts("c++ package: ok");
  return 0;
}
CXX
cmake -S "$work/cxx" -B "$work/cxx/build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_CXX_FLAGS="$sanitize" -DCMAKE_BUILD_RPATH="$libdir" >/dev/null
cmake --build "$work/cxx/build" >/dev/null
"$work/cxx/build/consumer" "$work"
