#!/usr/bin/env bash
# etcd-sync's memory when the source deletes many keys in ONE revision (a prefix delete or a
# large Txn): all of them arrive in one watch response and go out in one batch of Txns.
# Prints RSS (VmRSS) and peak RSS (VmHWM) before and after, and the time to replicate it.
#
#   bench/mass_delete_bench.sh                  # 100k keys x 512 B, ~1 minute
#   KEYS=10000 bench/mass_delete_bench.sh       # short form
#
# Environment [defaults]: KEYS [100000], VALUE_SIZE [512], BUILD_DIR [<repo>/build],
#   BENCH_TMPDIR [/var/tmp], KEEP_STATE [0], SYNC_ARGS [] (extra etcd-sync flags)
set -euo pipefail

KEYS=${KEYS:-100000}
VALUE_SIZE=${VALUE_SIZE:-512}
KEEP_STATE=${KEEP_STATE:-0}
PREFIX=/registry/

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$repo/build}
MEMBER="$repo/scripts/etcd-member.sh"
export ETCDCTL_API=3

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }
for n in KEYS VALUE_SIZE; do
  [[ ${!n} =~ ^[1-9][0-9]*$ ]] || die "$n must be a positive integer (got '${!n}')"
done

STATE=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/mass-delete-bench.XXXXXX")
members=()
bg_pids=()
cleanup() {
  local rc=$? pid name
  trap - EXIT INT TERM
  set +e
  for pid in "${bg_pids[@]}"; do kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  for name in "${members[@]}"; do "$MEMBER" stop "$STATE" "$name" >/dev/null 2>&1; done
  if [ "$rc" -ne 0 ] && [ -s "$STATE/etcd-sync.log" ]; then tail -20 "$STATE/etcd-sync.log" >&2; fi
  if [ "$KEEP_STATE" = 1 ]; then log "state kept in $STATE"; else rm -rf "$STATE"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir "$STATE/bin"
for tool in cmd/etcd-workload/etcd-workload cmd/etcd-sync/etcd-sync; do
  [ -x "$BUILD_DIR/$tool" ] || die "$BUILD_DIR/$tool is missing: cmake --build $BUILD_DIR -j2 --target $(basename "$tool")"
  cp "$BUILD_DIR/$tool" "$STATE/bin/"
done
WORKLOAD=$STATE/bin/etcd-workload
SYNC=$STATE/bin/etcd-sync

start_member() {  # start_member <name> <variable>
  members+=("$1")
  local url i
  url=$("$MEMBER" start "$STATE" "$1" --owner-pid $$) || die "cannot start etcd member $1"
  for ((i = 0; i < 300; i++)); do
    etcdctl --endpoints "$url" --command-timeout 2s endpoint health >/dev/null 2>&1 && break
    sleep 0.1
  done
  printf -v "$2" '%s' "$url"
}
load_avg() { cut -d' ' -f1 /proc/loadavg; }
mib() { awk -v f="$2" '$1 == f":" { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
empty() {  # no key left under PREFIX
  [ -z "$(etcdctl --endpoints "$1" --command-timeout 60s get "$PREFIX" --prefix --keys-only --limit 1)" ]
}

log "state in $STATE; $(nproc) CPUs; load $(load_avg)"
start_member source SOURCE
start_member dest DEST
"$WORKLOAD" load --endpoints "$SOURCE" --prefix "$PREFIX" --count "$KEYS" --value-size "$VALUE_SIZE" >/dev/null
# shellcheck disable=SC2086
"$SYNC" --source-endpoints "$SOURCE" --dest-endpoints "$DEST" --prefix "$PREFIX" \
  --monitor-listen 127.0.0.1:0 ${SYNC_ARGS:-} >"$STATE/etcd-sync.log" 2>&1 </dev/null &
sync_pid=$!
bg_pids+=("$sync_pid")
for ((i = 0; i < 6000; i++)); do
  grep -q 'Start Sync update' "$STATE/etcd-sync.log" && break
  kill -0 "$sync_pid" 2>/dev/null || die "etcd-sync exited"
  sleep 0.1
done
grep -q 'Start Sync update' "$STATE/etcd-sync.log" || die "etcd-sync did not finish its copy in 600 s"
sleep 6
copy_rss=$(mib "$sync_pid" VmRSS) copy_hwm=$(mib "$sync_pid" VmHWM)
log "after the copy: RSS $copy_rss MiB, peak $copy_hwm MiB"
rev_before=$(etcdctl --endpoints "$SOURCE" get / --prefix --limit 1 -w fields | sed -n 's/^"Revision" : //p')
started=$(date +%s.%N)
etcdctl --endpoints "$SOURCE" --command-timeout 120s del "$PREFIX" --prefix >/dev/null
max_rss=0
for ((i = 0; i < 6000; i++)); do
  r=$(mib "$sync_pid" VmRSS)
  [ "$r" -gt "$max_rss" ] && max_rss=$r
  empty "$DEST" && break
  kill -0 "$sync_pid" 2>/dev/null || die "etcd-sync exited"
  sleep 0.1
done
done_s=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
empty "$DEST" || die "the delete did not reach the destination in 600 s"
sleep 6
after_rss=$(mib "$sync_pid" VmRSS) after_hwm=$(mib "$sync_pid" VmHWM)
cat <<EOF

mass delete ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, load $(load_avg)): $KEYS keys x $VALUE_SIZE B deleted in one revision (after $rev_before)
  after the copy:      RSS $copy_rss MiB, peak $copy_hwm MiB
  during the delete:   RSS up to $max_rss MiB (sampled every 0.1 s)
  after the delete:    RSS $after_rss MiB, peak $after_hwm MiB; replicated in ${done_s}s
RESULT keys=$KEYS copy_rss_mib=$copy_rss copy_peak_mib=$copy_hwm delete_max_rss_mib=$max_rss after_rss_mib=$after_rss after_peak_mib=$after_hwm delete_seconds=$done_s
EOF
