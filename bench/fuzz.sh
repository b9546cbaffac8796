#!/usr/bin/env bash
# Runs the libFuzzer targets of fuzz/ (ASan + UBSan) for a set time each, on a copy of their
# seed corpus, and prints per target execs/s, coverage (cov, ft) and findings.
#   bench/fuzz.sh [seconds, default 60] [target ...]   (default: every fuzz/corpus/<target>)
# Builds them first in $FUZZ_BUILD_DIR (default build-fuzz: -DSANITIZE=ON, clang, -O1; the
# test suite's own short run uses its -O0 tree, build-san). Exits 1 on
# any finding; a crashing input is kept in the printed directory: fix the parser, then copy
# the input into fuzz/corpus/<target>/ so it stays a seed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
[ $# -gt 0 ] && shift
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cd "$root/fuzz/corpus" && ls -d -- *_fuzzer | sort)
fi

if [ ! -f "$build/CMakeCache.txt" ]; then
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S "$root" -B "$build" -DSANITIZE=ON -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" >/dev/null
fi
[ "${FUZZ_NO_BUILD:-0}" = 1 ] ||
  cmake --build "$build" -j"${FUZZ_JOBS:-2}" --target "${targets[@]}" >/dev/null

out=$(mktemp -d "${TMPDIR:-/tmp}/fuzz.XXXXXX")
status=0
printf '%-26s %10s %7s %7s %9s  %s\n' target execs/s cov ft new findings
for target in "${targets[@]}"; do
  work="$out/$target"
  mkdir -p "$work/corpus" "$work/findings"
  cp -- "$root/fuzz/corpus/$target/"* "$work/corpus/" 2>/dev/null || true
  rc=0
  (cd "$work" && "$build/fuzz/$target" -max_total_time="$seconds" -timeout=10 \
     -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
     -artifact_prefix="$work/findings/" "$work/corpus" >"$work/log" 2>&1) || rc=$?
  execs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -1 || true)
  new=$(sed -n 's/^stat::new_units_added: *//p' "$work/log" | tail -1 || true)
  cov=$(grep -o 'cov: [0-9]*' "$work/log" | tail -1 | cut -d' ' -f2 || true)
  ft=$(grep -o 'ft: [0-9]*' "$work/log" | tail -1 | cut -d' ' -f2 || true)
  findings=$(find "$work/findings" -type f | wc -l)
  verdict=$findings
  if [ "$rc" -ne 0 ] || [ "$findings" -gt 0 ]; then
    status=1
    verdict="$findings (exit $rc: $work/log, inputs in $work/findings)"
  fi
  printf '%-26s %10s %7s %7s %9s  %s\n' "$target" "${execs:--}" "${cov:--}" "${ft:--}" \
    "${new:--}" "$verdict"
done
[ "$status" -eq 0 ] && rm -rf -- "$out"
exit "$status"
