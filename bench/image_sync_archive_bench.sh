#!/usr/bin/env bash
# The bundle straight from the package archive: pushes one sample bundle from its extracted
# directory, from images.tar (read in place, never extracted) and from images.tar.gz and
# images.tar.zst (read in one pass, COMPRESSED=0 skips them), each into a fresh registry, on loopback and (SLOW=1, default) behind a slow link (slow-link-proxy, 20 ms RTT
# and 200 Mbit/s by default). Runs alternate (dir, tar, dir, tar, ...) so a loaded machine
# weighs on both alike; prints the best of each, the ratio tar / directory (goal <= 1.10),
# and the extra disk each needs beside the package (directory: the extracted images; tar:
# none; compressed: the spool, at most the largest blob), measured as the growth of the work
# dir's disk use during the run (the spool is put there) and the spool peak image-sync logs.
# Prints a table and `RESULT key=value` lines (grep ^RESULT).
#
#   bench/image_sync_archive_bench.sh [build-dir]
#   env: SIZE_MIB=2048 (distinct blob bytes, about) ROUNDS=2 PARALLEL=8 SLOW=1 DELAY_MS=10
#        (one way) RATE_MBIT=200 BENCH_TMPDIR=/var/tmp
#   CI form (ctest does not run it): SIZE_MIB=64 ROUNDS=1 SLOW=0
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
size_mib=${SIZE_MIB:-2048} rounds=${ROUNDS:-2} parallel=${PARALLEL:-8} slow=${SLOW:-1}
delay_ms=${DELAY_MS:-10} rate_mbit=${RATE_MBIT:-200}
work=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/image-sync-archive-bench-XXXXXX")
registries=() proxies=()
cleanup() {
  for pid in "${proxies[@]}"; do kill "$pid" 2>/dev/null || true; done
  for name in "${registries[@]}"; do "$here/scripts/registry-server.sh" stop "$work" "$name" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT
log() { echo "bench: $*" >&2; }
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }

mkdir -p "$work/bin"
cp "$build/cmd/image-sync/image-sync" "$build/cmd/make-sample-bundle/make-sample-bundle" "$work/bin/"
[ "$slow" = 1 ] && cp "$build/cmd/slow-link-proxy/slow-link-proxy" "$work/bin/"
# 16 images, each 2 distinct layers (per architecture: some sample images are multi-arch),
# sharing 2 base layers: distinct bytes ~ size_mib.
images=16
declare -A extra=() spool_peak=()
layer_mib=$(echo "$size_mib * 0.8 / ($images * 2) / 1.5" | bc -l)
shared_mib=$(echo "$size_mib * 0.2 / 2" | bc -l)
"$work/bin/make-sample-bundle" "$work/images" --images "$images" --shared-layers 2 \
  --shared-layer-mib "$shared_mib" --layers-per-image 2 --layer-mib "$layer_mib" --oci-only \
  --archive "$work/images.tar" >/dev/null
dir_bytes=$(du -sbL "$work/images" | cut -f1)
tar_bytes=$(stat -c %s "$work/images.tar")
log "bundle: $images images, $((dir_bytes >> 20)) MiB as a directory, $((tar_bytes >> 20)) MiB as images.tar"

# A fresh registry named $1 (behind its own slow link when $2 = slow); prints its address.
target() {
  local address
  registries+=("$1")
  address=$("$here/scripts/registry-server.sh" start "$work" "$1" --owner-pid $$)
  if [ "$2" = slow ]; then
    "$work/bin/slow-link-proxy" --target-port "${address##*:}" --delay-ms "$delay_ms" \
      --rate-mbit "$rate_mbit" >"$work/$1.proxy" &
    proxies+=("$!")
    for _ in $(seq 50); do [ -s "$work/$1.proxy" ] && break; sleep 0.1; done
    address=$(cat "$work/$1.proxy")
  fi
  echo "$address"
}
# Pushes bundle $1 into a fresh registry on link $2; prints seconds.
push() {
  local address start name="r$RANDOM$RANDOM"
  address=$(target "$name" "$2")
  start=$(now)
  TMPDIR="$work/spool" "$work/bin/image-sync" --bundle "$1" --registry "$address" --plain --parallel "$parallel" \
    --progress none --state-dir "" 2>>"$work/sync.log"
  since "$start"
  for pid in "${proxies[@]}"; do kill "$pid" 2>/dev/null || true; done
  "$here/scripts/registry-server.sh" stop "$work" "$name" >/dev/null 2>&1 || true
  rm -rf "${work:?}/$name"
}
best() { printf '%s\n' "$@" | sort -g | head -1; }

# Compressed forms, made the way an operator or a release pipeline would (the layers inside
# are already gzip'd, so they barely shrink: the cost measured is the one inflating pass).
kinds=(dir tar)
if [ "${COMPRESSED:-1}" = 1 ]; then
  gzip -1 -c "$work/images.tar" >"$work/images.tar.gz"
  zstd -q -T2 -c "$work/images.tar" >"$work/images.tar.zst"
  kinds+=(tgz tzst)
fi
declare -A bundle_of=([dir]="$work/images" [tar]="$work/images.tar" [tgz]="$work/images.tar.gz" [tzst]="$work/images.tar.zst")
declare -A label_of=([dir]=directory [tar]=images.tar [tgz]=images.tar.gz [tzst]=images.tar.zst)
mkdir -p "$work/spool"

links=(loopback); [ "$slow" = 1 ] && links+=(slow)
declare -A result
for link in "${links[@]}"; do
  declare -A times=()
  for round in $(seq "$rounds"); do
    for kind in "${kinds[@]}"; do
      log "$link, round $round: ${label_of[$kind]}"
      if [ "$kind" = dir ]; then
        times[$kind]+=" $(push "${bundle_of[$kind]}" "$link")"
        continue
      fi
      # image-sync may write nothing beside the package but its spool (compressed forms, in
      # TMPDIR=$work/spool): the work dir without the registries' storage, sampled while the
      # push runs, and the spool's own peak from image-sync's log.
      before=$(du -sb --exclude='r[0-9]*' "$work" | cut -f1)
      ( while sleep 0.2; do du -sb --exclude='r[0-9]*' "$work" 2>/dev/null | cut -f1; done >"$work/du.samples" ) &
      sampler=$!
      : >"$work/sync.log"
      times[$kind]+=" $(push "${bundle_of[$kind]}" "$link")"
      kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true
      peak=$(sort -g "$work/du.samples" | tail -1); peak=${peak:-$before}
      grow=$(( peak > before ? peak - before : 0 ))
      [ "$grow" -gt "${extra[$kind]:-0}" ] && extra[$kind]=$grow
      spool=$(grep -o 'spool peaked at [^(]*(\([0-9]*\) bytes)' "$work/sync.log" | grep -o '([0-9]*' | tr -d '(' | tail -1 || true)
      [ "${spool:-0}" -gt "${spool_peak[$kind]:-0}" ] && spool_peak[$kind]=$spool
    done
  done
  for kind in "${kinds[@]}"; do
    # shellcheck disable=SC2086
    result[$link.$kind]=$(best ${times[$kind]})
    result[$link.$kind.ratio]=$(echo "${result[$link.$kind]} / ${result[$link.dir]}" | bc -l)
  done
  unset times
done

echo "== the bundle from its archives vs the extracted directory: $images images, $((dir_bytes >> 20)) MiB, best of $rounds, $parallel connections ($(uptime | sed 's/.*load/load/'))"
printf '  %-36s %-16s %10s %10s\n' link bundle seconds '/directory'
for link in "${links[@]}"; do
  label=$link; [ "$link" = slow ] && label="slow (${delay_ms} ms each way, ${rate_mbit} Mbit/s)"
  for kind in "${kinds[@]}"; do
    printf '  %-36s %-16s %9.2fs %10.2f\n' "$label" "${label_of[$kind]}" "${result[$link.$kind]}" "${result[$link.$kind.ratio]}"
  done
done
printf '  extra disk beside the package: directory %d MiB (the extracted images)' "$((dir_bytes >> 20))"
for kind in "${kinds[@]}"; do
  [ "$kind" = dir ] && continue
  printf '; %s %d KiB (peak growth), spool peak %d KiB' "${label_of[$kind]}" "$((${extra[$kind]:-0} >> 10))" "$((${spool_peak[$kind]:-0} >> 10))"
done
printf '; largest blob %d KiB\n' "$(( $(find "$work/images/blobs" -type f -printf '%s\n' | sort -g | tail -1) >> 10 ))"
for link in "${links[@]}"; do
  for kind in "${kinds[@]}"; do
    printf 'RESULT link=%s bundle=%s seconds=%.3f ratio_to_dir=%.3f bundle_mib=%d extra_disk_kib=%d spool_peak_kib=%d\n' \
      "$link" "$kind" "${result[$link.$kind]}" "${result[$link.$kind.ratio]}" "$((dir_bytes >> 20))" \
      "$(( ${extra[$kind]:-0} >> 10 ))" "$(( ${spool_peak[$kind]:-0} >> 10 ))"
  done
done
