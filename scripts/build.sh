#!/usr/bin/env bash
# Configures and builds the project into build/ (Release with debug info).
# BUILD_DEBUG_INFO=0 (what .ci/run sets) builds the same -O2 code without debug info: about
# a quarter less compile and link time, for a build that is only tested, never debugged.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
flags="-O2 -g -DNDEBUG"
[ "${BUILD_DEBUG_INFO:-1}" = 0 ] && flags="-O2 -DNDEBUG"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$flags" "${launcher[@]}" >/dev/null
cmake --build "$root/build" -j"$(nproc)"
