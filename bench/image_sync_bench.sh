#!/usr/bin/env bash
# Pushes one sample bundle (shared layers, multi-arch indexes) into fresh local registries,
# on loopback and through slow-link-proxy (20 ms RTT, 200 Mbit/s by default), with:
#   image-sync; `skopeo copy --all` per image (what operators script today, an empty
#   blob-info cache each run, as on a fresh node); `skopeo sync` of all images in one run
#   (skopeo 1.9 cannot read an OCI layout, so it syncs FROM A REGISTRY THAT ALREADY HOLDS
#   THE BUNDLE, over loopback, into the target behind the link); the raw ceiling (parallel
#   plain monolithic uploads of the same distinct blobs with curl); image-sync's no-op re-run.
# Prints a table and ratios per link, and `RESULT key=value` lines (grep ^RESULT).
#
#   bench/image_sync_bench.sh [build-dir]
#   env: IMAGES=30 LAYER_MIB=8 SHARED_MIB=32 LAYERS=2 SHARED=2 PARALLEL=8 LINKS="loopback slow"
#        DELAY_MS=10 (one way) RATE_MBIT=200 BENCH_TMPDIR=/var/tmp
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build-images}
images=${IMAGES:-30} layer_mib=${LAYER_MIB:-8} shared_mib=${SHARED_MIB:-32}
layers=${LAYERS:-2} shared=${SHARED:-2} parallel=${PARALLEL:-8}
links=${LINKS:-loopback slow} delay_ms=${DELAY_MS:-10} rate_mbit=${RATE_MBIT:-200}
work=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/image-sync-bench-XXXXXX")
registries=() proxies=()
cleanup() {
  for pid in "${proxies[@]}"; do kill "$pid" 2>/dev/null || true; done
  for name in "${registries[@]}"; do "$here/scripts/registry-server.sh" stop "$work" "$name" || true; done
  rm -rf "$work"
}
trap cleanup EXIT
chmod 755 "$work"  # skopeo runs as an unprivileged user below and reads the bundle
log() { echo "bench: $*" >&2; }
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }

# Copies, so that a concurrent rebuild cannot change the binaries mid-run.
mkdir -p "$work/bin"
cp "$build/cmd/image-sync/image-sync" "$build/cmd/slow-link-proxy/slow-link-proxy" \
   "$build/cmd/make-sample-bundle/make-sample-bundle" "$work/bin/"
"$work/bin/make-sample-bundle" "$work/bundle" --images "$images" --shared-layers "$shared" \
  --shared-layer-mib "$shared_mib" --layers-per-image "$layers" --layer-mib "$layer_mib" \
  --oci-only >/dev/null
distinct=$(du -sbL "$work/bundle/blobs" | cut -f1)
distinct_mib=$(echo "$distinct / 1048576" | bc -l)
log "bundle: $images images, $(printf %.0f "$distinct_mib") MiB of distinct blobs"
# skopeo reads ref names from index.json only: the one image in the nested index is left
# out of its runs (in its favour).
refs=$(grep -o '"org.opencontainers.image.ref.name": *"[^"]*"' "$work/bundle/index.json" |
       sed 's/.*: *"\(.*\)"/\1/' | sort -u)

start_registry() {  # name -> address (the caller records the name in $registries)
  "$here/scripts/registry-server.sh" start "$work" "$1" --owner-pid $$
}
proxy_pid=""
stop_registry() {
  if [ -n "$proxy_pid" ]; then kill "$proxy_pid"; wait "$proxy_pid" || true; proxy_pid=""; fi
  "$here/scripts/registry-server.sh" stop "$work" "$1"
  rm -rf "${work:?}/$1.data"
}
# A fresh registry named $1 reached over link $2; sets $target.
target=""
fresh_target() {
  local address
  registries+=("$1")
  address=$(start_registry "$1")
  if [ "$2" = loopback ]; then target=$address; return; fi
  "$work/bin/slow-link-proxy" --target-port "${address##*:}" --delay-ms "$delay_ms" \
    --rate-mbit "$rate_mbit" >"$work/$1.proxy" &
  proxy_pid=$!
  proxies+=("$proxy_pid")
  for _ in $(seq 50); do [ -s "$work/$1.proxy" ] && break; sleep 0.1; done
  target=$(cat "$work/$1.proxy")
}

# The source for skopeo sync: a registry on loopback that holds the bundle already.
registries+=(source)
source_registry=$(start_registry source)
"$work/bin/image-sync" --bundle "$work/bundle" --registry "$source_registry" --plain \
  --progress none 2>"$work/source.log"
{
  echo "$source_registry:"
  echo "  tls-verify: false"
  echo "  images:"
  for ref in $refs; do echo "    ${ref%:*}: [${ref##*:}]"; done
} >"$work/sync.yaml"

# skopeo run as root keeps its blob-info cache in /var/lib/containers/cache whatever HOME
# says, so every later run knows where each blob already is and mounts it instead of sending
# it. As an unprivileged user with a fresh $XDG_DATA_HOME each run starts with an empty
# cache, as on a fresh node (what the comparison promises).
skopeo_fresh() {
  rm -rf "$work/cache" && mkdir -p "$work/cache"
  if [ "$(id -u)" = 0 ]; then
    chown nobody "$work/cache"
    setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
      env HOME="$work/cache" XDG_DATA_HOME="$work/cache" XDG_RUNTIME_DIR="$work/cache" skopeo "$@"
  else
    HOME=$work/cache XDG_DATA_HOME=$work/cache skopeo "$@"
  fi
}

run_link() {
  local link=$1 start t_ours t_noop t_copy t_sync t_raw
  log "$link: image-sync"
  fresh_target "ours-$link" "$link"
  start=$(now)
  "$work/bin/image-sync" --bundle "$work/bundle" --registry "$target" --plain \
    --parallel "$parallel" --progress none 2>"$work/ours-$link.log"
  t_ours=$(since "$start")
  start=$(now)
  "$work/bin/image-sync" --bundle "$work/bundle" --registry "$target" --plain \
    --parallel "$parallel" --progress none 2>>"$work/ours-$link.log"
  t_noop=$(since "$start")
  stop_registry "ours-$link"

  log "$link: skopeo copy --all per image"
  fresh_target "copy-$link" "$link"
  start=$(now)
  for ref in $refs; do
    skopeo_fresh copy --all --quiet --dest-tls-verify=false \
      "oci:$work/bundle:$ref" "docker://$target/$ref" >/dev/null
  done
  t_copy=$(since "$start")
  stop_registry "copy-$link"

  log "$link: skopeo sync (from a registry already holding the bundle)"
  fresh_target "sync-$link" "$link"
  start=$(now)
  skopeo_fresh sync --all --src yaml --dest docker \
    --dest-tls-verify=false "$work/sync.yaml" "$target/acp" >"$work/sync-$link.log" 2>&1
  t_sync=$(since "$start")
  stop_registry "sync-$link"

  log "$link: raw ceiling (parallel plain uploads of the distinct blobs)"
  fresh_target "raw-$link" "$link"
  export target
  start=$(now)
  find "$work/bundle/blobs/sha256" -type f -printf '%f\n' | xargs -P "$parallel" -I{} bash -c '
    location=$(curl -sf -D - -o /dev/null -X POST "http://$target/v2/raw/blobs/uploads/" |
               tr -d "\r" | sed -n "s/^[Ll]ocation: //p")
    code=$(curl -s -o /dev/null -w "%{http_code}" -X PUT -H "Content-Type: application/octet-stream" \
           -T "'"$work"'/bundle/blobs/sha256/{}" "$location&digest=sha256:{}")
    [ "$code" = 201 ] || { echo "raw upload of {} answered $code" >&2; exit 255; }'
  t_raw=$(since "$start")
  stop_registry "raw-$link"

  local label=$link
  if [ "$link" = slow ]; then label="slow link (${delay_ms} ms each way, ${rate_mbit} Mbit/s)"; fi
  echo "== $label: $images images, $(printf %.0f "$distinct_mib") MiB distinct"
  printf '  %-46s %8.2f s %8.1f MiB/s\n' \
    "raw ceiling (curl, $parallel parallel)" "$t_raw" "$(echo "$distinct_mib / $t_raw" | bc -l)" \
    "image-sync (--parallel $parallel)" "$t_ours" "$(echo "$distinct_mib / $t_ours" | bc -l)" \
    "skopeo copy --all per image" "$t_copy" "$(echo "$distinct_mib / $t_copy" | bc -l)" \
    "skopeo sync (source: a registry, not the OCI dir)" "$t_sync" "$(echo "$distinct_mib / $t_sync" | bc -l)"
  printf '  %-46s %8.2f s\n' "image-sync no-op re-run" "$t_noop"
  printf '  image-sync: %.0f%% of the raw ceiling; %.2fx faster than skopeo copy; %.2fx faster than skopeo sync\n' \
    "$(echo "100 * $t_raw / $t_ours" | bc -l)" "$(echo "$t_copy / $t_ours" | bc -l)" \
    "$(echo "$t_sync / $t_ours" | bc -l)"
  grep "done:" "$work/ours-$link.log" | head -1 | sed 's/.*done: /  image-sync: /'
  for pair in "seconds_image_sync=$t_ours" "seconds_skopeo_copy=$t_copy" "seconds_skopeo_sync=$t_sync" \
              "seconds_raw=$t_raw" "seconds_noop=$t_noop" \
              "ratio_skopeo_copy=$(echo "$t_copy / $t_ours" | bc -l)" \
              "ratio_skopeo_sync=$(echo "$t_sync / $t_ours" | bc -l)" \
              "percent_of_ceiling=$(echo "100 * $t_raw / $t_ours" | bc -l)"; do
    printf 'RESULT link=%s %s=%.3f\n' "$link" "${pair%%=*}" "${pair#*=}"
  done
}

for link in $links; do run_link "$link"; done
printf 'RESULT images=%d distinct_mib=%.0f\n' "$images" "$distinct_mib"
