#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds, and runs every test (unit tests, then the
# integration tests that start real etcd servers on 127.0.0.1); then the sanitizer stage:
# the unit tests built with ASan + UBSan (clang, build-san: only the libraries they need) and
# every libFuzzer target for a few seconds on its seed corpus. That stage adds ~16 min on a
# 2-core machine (measured cold, mostly the instrumented build), more than CI's 45-minute
# budget allows today, so it runs only with SANITIZE_STAGE=1; FUZZ_SECONDS (default 5) is
# each fuzzer's time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
cd "$root/build"
# Two tests at a time (CTEST_PARALLEL_LEVEL overrides): most integration tests wait on etcd,
# the stand-ins and child processes, so -j2 on 2 cores halves ctest's wall time (measured:
# 477 s vs ~870 s serial) and the suite is written to pass under load (the helpers' runs
# were at load 10-18).
ctest --output-on-failure --timeout 300 -j"${CTEST_PARALLEL_LEVEL:-2}" "$@"

[ "${SANITIZE_STAGE:-0}" = 1 ] || exit 0
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$root" -B "$root/build-san" -DSANITIZE=ON -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" >/dev/null
cmake --build "$root/build-san" -j"$(nproc)" --target sanitize_checks
(cd "$root/build-san" && ctest -L unit --output-on-failure --timeout 300)
FUZZ_JOBS=$(nproc) FUZZ_BUILD_DIR="$root/build-san" "$root/bench/fuzz.sh" "${FUZZ_SECONDS:-5}"
