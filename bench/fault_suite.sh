#!/usr/bin/env bash
# The fault suite's long form (issue 17): runs the faults of
# tests/integration/fault_cluster_test.cpp (three-member etcds, the fault proxy, the churn
# writer) RUNS times each with longer outages, and prints a table: fault, runs, recovered,
# time from heal to consistent (p50/max, seconds), keys lost/extra/stale (summed over runs).
# The last lines start with "RESULT " for grep. The ctest short form runs each fault once.
#
#   RUNS=3 OUTAGE_SECONDS=60 KILLS=50 bench/fault_suite.sh
#
# Environment (defaults in brackets):
#   RUNS [3]             runs of each fault (faults 1-4)
#   OUTAGE_SECONDS [60]  black-hole length (fault 3) and quorum loss (faults 1-2: half)
#   KILLS [50]           kill -9 of etcd-sync at random points (fault 5)
#   WRITES [200]         the churn writer's key writes per second
#   FILTER [*]           gtest filter (e.g. "*Paused*", "NoSpaceTest.*")
#   BUILD_DIR [<repo>/build]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$repo/build}
binary="$BUILD_DIR/tests/fault_cluster_integration_test"
[ -x "$binary" ] || { echo "build it first: cmake --build $BUILD_DIR --target fault_cluster_integration_test" >&2; exit 2; }
table=$(mktemp)
trap 'rm -f "$table"' EXIT

status=0
FAULT_SUITE_TABLE=$table FAULT_SUITE_RUNS=${RUNS:-3} \
  FAULT_SUITE_OUTAGE_SECONDS=${OUTAGE_SECONDS:-60} FAULT_SUITE_KILLS=${KILLS:-50} \
  FAULT_SUITE_WRITES_PER_SECOND=${WRITES:-200} \
  "$binary" --gtest_filter="${FILTER:-*}" >"$table.log" 2>&1 || status=$?
grep -E '^\[ +(OK|FAILED) +\]' "$table.log" || true
[ $status -eq 0 ] || echo "some faults failed; the test log is $table.log" >&2
[ $status -eq 0 ] && rm -f "$table.log"

printf '\n%-42s %5s %9s %8s %8s %5s %6s %6s\n' fault runs recovered p50_s max_s lost extra stale
sort -t$'\t' -k1,1 -k3,3g "$table" | awk -F'\t' '
  function flush() {
    if (name == "") return
    p50 = times[int((n + 1) / 2)]; max = times[n]
    printf "%-42s %5d %9d %8.2f %8.2f %5d %6d %6d\n", name, n, ok, p50, max, lost, extra, stale
    results = results sprintf("RESULT fault=\"%s\" runs=%d recovered=%d p50_s=%.2f max_s=%.2f lost=%d extra=%d stale=%d\n", \
      name, n, ok, p50, max, lost, extra, stale)
  }
  $1 != name { flush(); name = $1; n = 0; ok = 0; lost = 0; extra = 0; stale = 0 }
  { n++; times[n] = $3; ok += $2; lost += $4; extra += $5; stale += $6 }
  END { flush(); printf "\n%s", results }'
exit $status
