#!/usr/bin/env bash
# Live replication under load (issue 18), in one run on 127.0.0.1:
#   1. the source etcd alone: how many Puts of VALUE_SIZE bytes per second it sustains with
#      WRITERS concurrent writers (timed by the source's own watch: no replicator running);
#   2. etcd-sync replicating HIGH_RATE writes/s for HIGH_SECONDS: lag per window of WINDOW s
#      (does it grow?), and etcd-sync's CPU and peak RSS;
#   3. etcd-sync at LOW_RATE writes/s for LOW_SECONDS: lag p50/p99; then both etcds are
#      compacted at their current revision (what each cluster's kube-apiserver does every
#      5 minutes; nothing compacts them here otherwise) and the same is measured again: the
#      history the 5,000/s phase left (its Puts and the deletion of every probe) slows both
#      etcds until compaction removes it;
#   4. with LINK=1, the same through slow-link-proxy (RTT_MS, RATE_MBIT) between etcd-sync
#      and the source;
#   5. LOW_RATE for CHECK_SECONDS while periodic consistency checks run: etcd-sync restarted
#      with --check-interval CHECK_INTERVAL (after its pass on becoming leader), so checks
#      run through the measurement; once paced (the default --periodic-check-page-bytes) and
#      once unpaced (--periodic-check-page-bytes 0: what every periodic check did before it),
#      with the number of checks and their duration. A check reads the whole scope through
#      the same link as the watch: unpaced, live changes queue behind its pages.
# Beside 3, the floor at LOW_RATE: the same probes timed by a watch on the source itself
# (through the link with LINK=1), with no replicator: what the source and the link alone
# cost, which no replicator can go below; and at the same time, the destination alone: its
# own probes (outside the scope) timed by its own watch. A replicator writes every change to
# the destination and the lag is timed by a watch there, so its lag is about the two chained:
# when the floor's p99 plus the destination's is above a target, no replicator meets it.
# Probes put new keys (the scope grows by rate x seconds keys, which a check then reads);
# LAG_KEYS=N makes them update N keys in turn instead, as a cluster's writes mostly do.
# Prints a table and RESULT lines; everything runs under one temporary directory.
#
#   bench/live_lag_bench.sh                          # ~8 minutes
#   HIGH_SECONDS=10 LOW_SECONDS=5 CHECK_SECONDS=10 bench/live_lag_bench.sh  # short form
#
# Environment [defaults]: KEYS [10000] base keys, VALUE_SIZE [1024], WRITERS [64],
#   HIGH_RATE [5000], HIGH_SECONDS [60], LOW_RATE [1000], LOW_SECONDS [30], WINDOW [10],
#   CHECK_INTERVAL [15], CHECK_SECONDS [60], LAG_KEYS [0],
#   LINK [0], RTT_MS [20], RATE_MBIT [200], BUILD_DIR [<repo>/build], BENCH_TMPDIR [/var/tmp],
#   KEEP_STATE [0]
set -euo pipefail

KEYS=${KEYS:-10000}
LAG_KEYS=${LAG_KEYS:-0}
VALUE_SIZE=${VALUE_SIZE:-1024}
WRITERS=${WRITERS:-64}
HIGH_RATE=${HIGH_RATE:-5000}
HIGH_SECONDS=${HIGH_SECONDS:-60}
LOW_RATE=${LOW_RATE:-1000}
LOW_SECONDS=${LOW_SECONDS:-30}
WINDOW=${WINDOW:-10}
CHECK_INTERVAL=${CHECK_INTERVAL:-15}
CHECK_SECONDS=${CHECK_SECONDS:-60}
LINK=${LINK:-0}
RTT_MS=${RTT_MS:-20}
RATE_MBIT=${RATE_MBIT:-200}
KEEP_STATE=${KEEP_STATE:-0}
PREFIX=/registry/
PROBES=/registry/lag-probe/

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$repo/build}
MEMBER="$repo/scripts/etcd-member.sh"
export ETCDCTL_API=3

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }
for n in KEYS VALUE_SIZE WRITERS HIGH_RATE HIGH_SECONDS LOW_RATE LOW_SECONDS WINDOW RTT_MS RATE_MBIT \
  CHECK_INTERVAL CHECK_SECONDS; do
  [[ ${!n} =~ ^[1-9][0-9]*$ ]] || die "$n must be a positive integer (got '${!n}')"
done

STATE=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/live-lag-bench.XXXXXX")
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

# A private copy of the binaries: others may relink the build meanwhile.
mkdir "$STATE/bin"
for tool in cmd/etcd-workload/etcd-workload cmd/etcd-sync/etcd-sync cmd/slow-link-proxy/slow-link-proxy; do
  [ -x "$BUILD_DIR/$tool" ] || die "$BUILD_DIR/$tool is missing: cmake --build $BUILD_DIR -j2 --target $(basename "$tool")"
  cp "$BUILD_DIR/$tool" "$STATE/bin/"
done
WORKLOAD=$STATE/bin/etcd-workload
SYNC=$STATE/bin/etcd-sync
PROXY=$STATE/bin/slow-link-proxy

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
cpu_seconds() {  # user+system CPU seconds of a process
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$1/stat"
}
peak_rss_mib() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

# lag <label> <source> <dest> <rate> <seconds>: sets LAG_LINE and WINDOWS (the window lines).
lag() {
  local out rc=0
  out=$("$WORKLOAD" lag --source "$2" --dest "$3" --prefix "$PROBES" --rate "$4" \
          --duration "$5" --value-size "$VALUE_SIZE" --writers "$WRITERS" --window "$WINDOW" --keys "$LAG_KEYS" 2>&1) || rc=$?
  LAG_LINE=$(grep -m1 '^lag:' <<<"$out") || die "$1: the lag measurement failed: $out"
  WINDOWS=$(grep '^window' <<<"$out" || true)
  [ "$rc" -eq 0 ] || LAG_LINE="$LAG_LINE (NOT every probe arrived)"
  log "$1 (load $(load_avg)): $LAG_LINE"
  if [ -n "${sync_pid:-}" ]; then
    LAG_RSS=$(peak_rss_mib "$sync_pid")  # before the probes' deletion below
    log "etcd-sync peak RSS so far: $LAG_RSS MiB"
  fi
  etcdctl --endpoints "$2" --command-timeout 120s del "$PROBES" --prefix >/dev/null ||
    log "WARNING: could not delete the probes"
  # The next run starts once the deletion reached the destination too (one revision of
  # many keys: not part of what is measured).
  local i
  for ((i = 0; i < 600; i++)); do
    [ -z "$(etcdctl --endpoints "$3" --command-timeout 10s get "$PROBES" --prefix --keys-only --limit 1)" ] && break
    sleep 0.1
  done
}
field() { sed -n "s/.*$1 \([0-9.]*\).*/\1/p" <<<"$2"; }  # field <word before> <line>

log "state in $STATE; $(nproc) CPUs; etcd $(etcd --version | sed -n 's/^etcd Version: //p'); load $(load_avg)"
start_member source SOURCE
start_member dest DEST
"$WORKLOAD" load --endpoints "$SOURCE" --prefix "$PREFIX" --count "$KEYS" --value-size "$VALUE_SIZE" >/dev/null

# 1. The source alone: as fast as WRITERS writers go, timed by its own watch.
lag "source alone" "$SOURCE" "$SOURCE" 50000 10
ceiling_line=$LAG_LINE ceiling_load=$(load_avg)
ceiling=$(sed -n 's/.* at \([0-9]*\) writes\/s.*/\1/p' <<<"$ceiling_line")

# 2-3. etcd-sync, directly or through the slow link.
read_from=$SOURCE
if [ "$LINK" = 1 ]; then
  "$PROXY" --help >/dev/null 2>&1 || die "slow-link-proxy does not run"
  src_port=${SOURCE##*:}
  "$PROXY" --target-port "$src_port" --delay-ms "$(awk -v r="$RTT_MS" 'BEGIN { print r / 2 }')" \
    --rate-mbit "$RATE_MBIT" >"$STATE/proxy.out" 2>"$STATE/proxy.log" &
  bg_pids+=($!)
  for _ in $(seq 50); do [ -s "$STATE/proxy.out" ] && break; sleep 0.1; done
  read_from="http://$(head -1 "$STATE/proxy.out")"
  log "slow link: $read_from -> $SOURCE ($RTT_MS ms RTT, $RATE_MBIT Mbit/s)"
fi
DEST_PROBES=/bench-destination-probe/
"$WORKLOAD" lag --source "$DEST" --dest "$DEST" --prefix "$DEST_PROBES" --rate "$LOW_RATE" \
  --duration "$LOW_SECONDS" --value-size "$VALUE_SIZE" --writers "$WRITERS" --keys "$LAG_KEYS" \
  >"$STATE/destination-alone.out" 2>&1 &
dest_probe_pid=$!
lag "floor at $LOW_RATE/s, no replicator" "$SOURCE" "$read_from" "$LOW_RATE" "$LOW_SECONDS"
floor_line=$LAG_LINE floor_load=$(load_avg)
wait "$dest_probe_pid" || true
dest_alone_line=$(grep -m1 '^lag:' "$STATE/destination-alone.out") ||
  die "the destination-alone measurement failed: $(cat "$STATE/destination-alone.out")"
log "destination alone at the same time: $dest_alone_line"
etcdctl --endpoints "$DEST" --command-timeout 120s del "$DEST_PROBES" --prefix >/dev/null ||
  log "WARNING: could not delete the destination's probes"
"$SYNC" --source-endpoints "$read_from" --dest-endpoints "$DEST" --prefix "$PREFIX" \
  --monitor-listen 127.0.0.1:0 >"$STATE/etcd-sync.log" 2>&1 </dev/null &
sync_pid=$!
bg_pids+=("$sync_pid")
for ((i = 0; i < 6000; i++)); do
  grep -q 'Start Sync update' "$STATE/etcd-sync.log" && break
  kill -0 "$sync_pid" 2>/dev/null || die "etcd-sync exited"
  sleep 0.1
done
grep -q 'Start Sync update' "$STATE/etcd-sync.log" || die "etcd-sync did not finish its copy in 600 s"
copy_s=$(sed -n 's/.*initial copy done in \([0-9.]*\)s.*/\1/p' "$STATE/etcd-sync.log" | head -1)
copy_load=$(load_avg)
# The link's ceiling for the copy: the values and keys at RATE_MBIT (one way), nothing else.
data_mib=$(awk -v k="$KEYS" -v v="$VALUE_SIZE" 'BEGIN { printf "%.1f", k * (v + 60) / 1048576 }')
link_s=$(awk -v m="$data_mib" -v r="$RATE_MBIT" 'BEGIN { printf "%.2f", m * 1048576 * 8 / (r * 1e6) }')

cpu0=$(cpu_seconds "$sync_pid")
lag "etcd-sync at $HIGH_RATE/s" "$SOURCE" "$DEST" "$HIGH_RATE" "$HIGH_SECONDS"
high_line=$LAG_LINE high_windows=$WINDOWS high_load=$(load_avg) high_rss=$LAG_RSS
high_cpu=$(awk -v a="$cpu0" -v b="$(cpu_seconds "$sync_pid")" -v s="$HIGH_SECONDS" 'BEGIN { printf "%.0f", 100 * (b - a) / s }')
lag "etcd-sync at $LOW_RATE/s" "$SOURCE" "$DEST" "$LOW_RATE" "$LOW_SECONDS"
low_line=$LAG_LINE low_load=$(load_avg)
compact() {  # compact <endpoint>: at its current revision, and wait until it is done
  local revision
  revision=$(etcdctl --endpoints "$1" endpoint status -w fields | sed -n 's/^"Revision" : //p')
  etcdctl --endpoints "$1" --command-timeout 300s compact "$revision" --physical >/dev/null ||
    die "could not compact $1 at revision $revision"
}
compact "$SOURCE"
compact "$DEST"
log "compacted the source and the destination"
sleep 2
lag "etcd-sync at $LOW_RATE/s, both etcds compacted" "$SOURCE" "$DEST" "$LOW_RATE" "$LOW_SECONDS"
compacted_line=$LAG_LINE compacted_load=$(load_avg)
rss=$(peak_rss_mib "$sync_pid")

# 5. While periodic checks run, paced and unpaced.
monitor_metric() {  # monitor_metric <name>: its value on the running etcd-sync's monitor
  curl -s "http://$monitor/metrics" | awk -v n="$1" '$1 == n { print $2 }'
}
restart_sync() {  # restart_sync <log name> [flags...]: after its pass on becoming leader
  local name=$1 i
  shift
  kill -TERM "$sync_pid"
  wait "$sync_pid" 2>/dev/null || true
  "$SYNC" --source-endpoints "$read_from" --dest-endpoints "$DEST" --prefix "$PREFIX" \
    --monitor-listen 127.0.0.1:0 --check-interval "$CHECK_INTERVAL" "$@" >"$STATE/$name" 2>&1 </dev/null &
  sync_pid=$!
  bg_pids+=("$sync_pid")
  for ((i = 0; i < 6000; i++)); do
    grep -q 'Reconcile pass finished' "$STATE/$name" && break
    kill -0 "$sync_pid" 2>/dev/null || die "etcd-sync exited: $(tail -3 "$STATE/$name")"
    sleep 0.1
  done
  grep -q 'Reconcile pass finished' "$STATE/$name" || die "etcd-sync's pass on becoming leader did not finish in 600 s"
  monitor=$(sed -n 's/.*etcd-sync-monitor listening on \([^ ]*:[0-9]*\).*/\1/p' "$STATE/$name" | head -1)
  [ -n "$monitor" ] || die "no monitor address in $STATE/$name"
}
during_checks() {  # during_checks <label>: sets CHECKS_LINE
  local passes0 passes1
  passes0=$(monitor_metric etcd_sync_reconcile_passes_total)
  lag "etcd-sync at $LOW_RATE/s during periodic checks, $1" "$SOURCE" "$DEST" "$LOW_RATE" "$CHECK_SECONDS"
  passes1=$(monitor_metric etcd_sync_reconcile_passes_total)
  CHECKS_LINE="$LAG_LINE; $((passes1 - passes0)) periodic checks ended meanwhile, the last took $(monitor_metric etcd_sync_check_duration_seconds | xargs printf '%.1f') s"
  CHECK_WINDOWS=$WINDOWS
  log "$1: $CHECKS_LINE"
}
restart_sync etcd-sync-paced.log
during_checks "paced (default)"
paced_line=$CHECKS_LINE paced_windows=$CHECK_WINDOWS paced_load=$(load_avg)
restart_sync etcd-sync-unpaced.log --periodic-check-page-bytes 0
during_checks "unpaced"
unpaced_line=$CHECKS_LINE unpaced_windows=$CHECK_WINDOWS unpaced_load=$(load_avg)

link="loopback"
[ "$LINK" = 1 ] && link="slow link ($RTT_MS ms RTT, $RATE_MBIT Mbit/s) between etcd-sync and the source"
cat <<EOF

live replication ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, $link)
  initial copy of $KEYS keys x $VALUE_SIZE B (~$data_mib MiB) (load $copy_load): ${copy_s}s$([ "$LINK" = 1 ] && echo " (the link alone needs ${link_s}s)")
  source alone, $WRITERS writers x $VALUE_SIZE B Puts (load $ceiling_load): $ceiling_line
  etcd-sync at $HIGH_RATE writes/s for ${HIGH_SECONDS}s (load $high_load): $high_line
$(sed 's/^/    /' <<<"$high_windows")
    etcd-sync CPU ${high_cpu}% of one core meanwhile; its peak RSS by then ${high_rss} MiB
  etcd-sync at $LOW_RATE writes/s for ${LOW_SECONDS}s (load $low_load): $low_line
  the same after compacting both etcds (load $compacted_load): $compacted_line
  etcd-sync at $LOW_RATE writes/s for ${CHECK_SECONDS}s while periodic checks run (--check-interval $CHECK_INTERVAL):
    paced, the default (load $paced_load): $paced_line
$(sed 's/^/      /' <<<"$paced_windows")
    unpaced, --periodic-check-page-bytes 0 (load $unpaced_load): $unpaced_line
$(sed 's/^/      /' <<<"$unpaced_windows")
  floor: the source's own watch$([ "$LINK" = 1 ] && echo " through the link") at $LOW_RATE writes/s, no replicator (load $floor_load): $floor_line
  at the same time, the destination alone (its own Puts and watch): $dest_alone_line
  etcd-sync peak RSS: ${rss} MiB (also counts replicating the deletion of every probe in one revision)

RESULT link=$([ "$LINK" = 1 ] && echo "rtt${RTT_MS}ms_${RATE_MBIT}mbit" || echo loopback) value_size=$VALUE_SIZE writers=$WRITERS lag_keys=$LAG_KEYS
RESULT copy_seconds=$copy_s link_ceiling_seconds=$([ "$LINK" = 1 ] && echo "$link_s" || echo n/a)
RESULT source_alone_writes_per_s=$ceiling
RESULT high_rate_achieved=$(sed -n 's/.* at \([0-9]*\) writes\/s.*/\1/p' <<<"$high_line") high_p50_ms=$(field p50 "$high_line") high_p99_ms=$(field p99 "$high_line") high_max_ms=$(field max "$high_line")
RESULT low_rate_p50_ms=$(field p50 "$low_line") low_rate_p99_ms=$(field p99 "$low_line") low_rate_max_ms=$(field max "$low_line")
RESULT compacted_low_rate_p50_ms=$(field p50 "$compacted_line") compacted_low_rate_p99_ms=$(field p99 "$compacted_line") compacted_low_rate_max_ms=$(field max "$compacted_line")
RESULT during_checks_paced_p50_ms=$(field p50 "$paced_line") during_checks_paced_p99_ms=$(field p99 "$paced_line") during_checks_paced_max_ms=$(field max "$paced_line") during_checks_paced_checks=$(sed -n 's/.*; \([0-9]*\) periodic checks.*/\1/p' <<<"$paced_line")
RESULT during_checks_unpaced_p50_ms=$(field p50 "$unpaced_line") during_checks_unpaced_p99_ms=$(field p99 "$unpaced_line") during_checks_unpaced_max_ms=$(field max "$unpaced_line") during_checks_unpaced_checks=$(sed -n 's/.*; \([0-9]*\) periodic checks.*/\1/p' <<<"$unpaced_line")
RESULT floor_p50_ms=$(field p50 "$floor_line") floor_p99_ms=$(field p99 "$floor_line") floor_max_ms=$(field max "$floor_line")
RESULT destination_alone_p50_ms=$(field p50 "$dest_alone_line") destination_alone_p99_ms=$(field p99 "$dest_alone_line") destination_alone_max_ms=$(field max "$dest_alone_line")
RESULT etcd_sync_peak_rss_mib=$rss etcd_sync_cpu_percent_at_high_rate=$high_cpu
EOF
