#!/usr/bin/env bash
# A DR pair: two registries, each behind its own slow link (slow-link-proxy, 20 ms RTT and
# 200 Mbit/s by default). Pushes one sample bundle with ONE image-sync run to both
# (--registry a --registry b) against TWO runs in a row (a then b, fresh registries), and
# prints the ratio (goal <= 0.6; ideal 0.5: the wall time of the slowest target alone).
# Prints a table and `RESULT key=value` lines (grep ^RESULT).
#
#   bench/image_sync_targets_bench.sh [build-dir]
#   env: IMAGES=12 LAYER_MIB=8 SHARED_MIB=16 LAYERS=2 SHARED=2 PARALLEL=8 DELAY_MS=10 (one way)
#        RATE_MBIT=200 BENCH_TMPDIR=/var/tmp
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
images=${IMAGES:-12} layer_mib=${LAYER_MIB:-8} shared_mib=${SHARED_MIB:-16}
layers=${LAYERS:-2} shared=${SHARED:-2} parallel=${PARALLEL:-8}
delay_ms=${DELAY_MS:-10} rate_mbit=${RATE_MBIT:-200}
work=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/image-sync-targets-bench-XXXXXX")
registries=() proxies=()
cleanup() {
  for pid in "${proxies[@]}"; do kill "$pid" 2>/dev/null || true; done
  for name in "${registries[@]}"; do "$here/scripts/registry-server.sh" stop "$work" "$name" || true; done
  rm -rf "$work"
}
trap cleanup EXIT
log() { echo "bench: $*" >&2; }
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }

mkdir -p "$work/bin"
cp "$build/cmd/image-sync/image-sync" "$build/cmd/slow-link-proxy/slow-link-proxy" \
   "$build/cmd/make-sample-bundle/make-sample-bundle" "$work/bin/"
"$work/bin/make-sample-bundle" "$work/bundle" --images "$images" --shared-layers "$shared" \
  --shared-layer-mib "$shared_mib" --layers-per-image "$layers" --layer-mib "$layer_mib" \
  --oci-only >/dev/null
distinct_mib=$(echo "$(du -sbL "$work/bundle/blobs" | cut -f1) / 1048576" | bc -l)
log "bundle: $images images, $(printf %.0f "$distinct_mib") MiB of distinct blobs"

# A fresh registry named $1 behind its own slow link; prints the proxy's address.
slow_target() {
  local address
  registries+=("$1")
  address=$("$here/scripts/registry-server.sh" start "$work" "$1" --owner-pid $$)
  "$work/bin/slow-link-proxy" --target-port "${address##*:}" --delay-ms "$delay_ms" \
    --rate-mbit "$rate_mbit" >"$work/$1.proxy" &
  proxies+=("$!")
  for _ in $(seq 50); do [ -s "$work/$1.proxy" ] && break; sleep 0.1; done
  cat "$work/$1.proxy"
}
sync() {
  "$work/bin/image-sync" --bundle "$work/bundle" --plain --parallel "$parallel" \
    --progress none --state-dir "" "$@" 2>>"$work/sync.log"
}

a=$(slow_target seq-a); b=$(slow_target seq-b)
log "two runs in a row"
start=$(now); sync --registry "$a"; t_a=$(since "$start")
start=$(now); sync --registry "$b"; t_b=$(since "$start")
t_two=$(echo "$t_a + $t_b" | bc -l)
a=$(slow_target one-a); b=$(slow_target one-b)
log "one run to both"
start=$(now); sync --registry "$a" --registry "$b" --output json >"$work/one.json"; t_one=$(since "$start")
ratio=$(echo "$t_one / $t_two" | bc -l)

echo "== two registries, each behind ${delay_ms} ms each way / ${rate_mbit} Mbit/s: $images images, $(printf %.0f "$distinct_mib") MiB distinct"
printf '  %-40s %8.2f s\n' "run 1 (registry a alone)" "$t_a" "run 2 (registry b alone)" "$t_b" \
  "two runs in a row" "$t_two" "one run, --registry a --registry b" "$t_one"
printf '  one run / two runs: %.2f (goal <= 0.6; ideal 0.5); one run / slowest alone: %.2f\n' \
  "$ratio" "$(awk -v o="$t_one" -v a="$t_a" -v b="$t_b" 'BEGIN { print o / (a > b ? a : b) }')"
printf 'RESULT seconds_two_runs=%.3f seconds_one_run=%.3f ratio=%.3f distinct_mib=%.0f\n' \
  "$t_two" "$t_one" "$ratio" "$distinct_mib"
