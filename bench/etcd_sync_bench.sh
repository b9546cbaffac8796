#!/usr/bin/env bash
# Compares etcd-sync with `etcdctl make-mirror` on the same data in one run:
#   1. a source etcd loaded with KEYS keys of VALUE_SIZE bytes (Kubernetes-shaped, /registry/);
#   2. the raw ceiling: `etcd-workload load` of the same data into an empty etcd;
#   3. etcd-sync: initial copy into an empty destination, then replication lag;
#   4. make-mirror: initial copy into an empty destination, then replication lag;
#   5. a table with the ratios; the last lines start with "RESULT " for grep.
# Everything runs on 127.0.0.1 under one temporary directory that is removed on exit.
# See bench/README.md.
#
#   KEYS=5000 LAG_SECONDS=3 bench/etcd_sync_bench.sh
#   LINK=1 KEYS=100000 bench/etcd_sync_bench.sh   # both read the source through the slow link
#
# LINK=1 puts slow-link-proxy (RTT_MS round trip, RATE_MBIT each way) between the source and
# both engines, as on a DR standby that reads the primary across sites: etcd-sync and
# make-mirror run beside the destination and read the source through the link; the raw
# writer stays local (it is the destination's write ceiling). The report adds the link's own
# ceiling for the copy: the source's keys and values at RATE_MBIT.
#
# Environment (defaults in brackets):
#   KEYS [100000]  VALUE_SIZE [1024]  RATE [1000]  LAG_SECONDS [10]
#   PARALLELISM [8]          writer parallelism of the load / raw ceiling
#   SYNC_TIMEOUT [1800]      seconds to wait for etcd-sync's initial copy
#   MIRROR_TIMEOUT [1800]    seconds to wait for make-mirror's initial copy
#   BUILD_DIR [<repo>/build] where etcd-sync and etcd-workload are built
#   BENCH_TMPDIR [/var/tmp]  parent of the state directory (use a real disk, not tmpfs)
#   KEEP_STATE [0]           1: keep the state directory (logs, data) instead of deleting it
#   LINK [0]  RTT_MS [20]  RATE_MBIT [200]   the slow link (see above)
#   MIRROR [1]               0: leave make-mirror out (through the link at 1M keys it takes
#                            about 31 min; its figures then read n/a)
set -euo pipefail

KEYS=${KEYS:-100000}
VALUE_SIZE=${VALUE_SIZE:-1024}
RATE=${RATE:-1000}
LAG_SECONDS=${LAG_SECONDS:-10}
PARALLELISM=${PARALLELISM:-8}
SYNC_TIMEOUT=${SYNC_TIMEOUT:-1800}
MIRROR_TIMEOUT=${MIRROR_TIMEOUT:-1800}
KEEP_STATE=${KEEP_STATE:-0}
LINK=${LINK:-0}
MIRROR=${MIRROR:-1}
RTT_MS=${RTT_MS:-20}
RATE_MBIT=${RATE_MBIT:-200}
PREFIX=/registry/
LAG_PREFIX=/registry/lag-probe/

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$repo/build}
MEMBER="$repo/scripts/etcd-member.sh"
WORKLOAD="$BUILD_DIR/cmd/etcd-workload/etcd-workload"
SYNC="$BUILD_DIR/cmd/etcd-sync/etcd-sync"
PROXY="$BUILD_DIR/cmd/slow-link-proxy/slow-link-proxy"
export ETCDCTL_API=3

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }

for n in KEYS VALUE_SIZE RATE LAG_SECONDS PARALLELISM SYNC_TIMEOUT MIRROR_TIMEOUT RTT_MS RATE_MBIT; do
  [[ ${!n} =~ ^[1-9][0-9]*$ ]] || die "$n must be a positive integer (got '${!n}')"
done
[[ $LINK =~ ^[01]$ ]] || die "LINK must be 0 or 1 (got '$LINK')"
[[ $MIRROR =~ ^[01]$ ]] || die "MIRROR must be 0 or 1 (got '$MIRROR')"
link_tools=()
[ "$LINK" = 1 ] && link_tools=("$PROXY")
for tool in "$WORKLOAD" "$SYNC" "$MEMBER" "${link_tools[@]}"; do
  [ -x "$tool" ] || die "$tool is missing: build with cmake --build $BUILD_DIR -j2"
done
command -v etcd >/dev/null || die "etcd not found: apt-get install etcd-server"
command -v etcdctl >/dev/null || die "etcdctl not found: apt-get install etcd-client"

parent=${BENCH_TMPDIR:-/var/tmp}
STATE=$(mktemp -d "$parent/etcd-sync-bench.XXXXXX")
fstype=$(df --output=fstype "$STATE" 2>/dev/null | tail -1 || true)
if [ "$fstype" = tmpfs ]; then
  log "WARNING: $STATE is on tmpfs; etcd fsyncs cost nothing there (set BENCH_TMPDIR)"
fi

# --- teardown ------------------------------------------------------------------------------
members=()      # names started with etcd-member.sh
bg_pids=()      # etcd-sync / make-mirror processes we started
failed_logs=()  # logs to show when the run fails

stop_pid() {  # stop_pid <pid> [seconds before SIGKILL]; 0 if it exited on SIGTERM
  local pid=$1 grace=${2:-15} i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  return 1
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  if [ "$rc" -ne 0 ]; then
    for f in "${failed_logs[@]}"; do
      [ -s "$f" ] && { echo "--- last lines of $f:" >&2; tail -20 "$f" >&2; }
    done
  fi
  for pid in "${bg_pids[@]}"; do stop_pid "$pid" 5 >/dev/null 2>&1; done
  for name in "${members[@]}"; do "$MEMBER" stop "$STATE" "$name" >/dev/null 2>&1; done
  if [ "$KEEP_STATE" = 1 ]; then
    log "state kept in $STATE"
  else
    rm -rf "$STATE"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Others may rebuild $BUILD_DIR while this runs: work on a private copy of the binaries, so
# that one run measures one build (and a relink cannot fail a run half-way).
mkdir "$STATE/bin"
snapshot_tool() {  # snapshot_tool <path>; prints the copy's path
  local copy i
  copy="$STATE/bin/$(basename "$1")"
  for ((i = 0; i < 30; i++)); do
    if cp "$1" "$copy" 2>/dev/null && "$copy" --help >/dev/null 2>&1; then
      echo "$copy"
      return 0
    fi
    sleep 1  # being relinked right now
  done
  die "cannot copy a working $1"
}
WORKLOAD=$(snapshot_tool "$WORKLOAD")
SYNC=$(snapshot_tool "$SYNC")
[ "$LINK" = 1 ] && PROXY=$(snapshot_tool "$PROXY")
build_rev=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$repo" status --porcelain -- src cmd 2>/dev/null)" ]; then
  build_rev="$build_rev+local changes"
fi

forget_pid() {
  local keep=() p
  for p in "${bg_pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  bg_pids=("${keep[@]}")
}

# start_member <name> <variable>: starts a fresh member and sets <variable> to its client URL.
start_member() {
  members+=("$1")  # registered first: the teardown stops it even if the start fails half-way
  failed_logs+=("$STATE/$1.log")
  local url
  url=$("$MEMBER" start "$STATE" "$1" --owner-pid $$) || die "cannot start etcd member $1"
  # etcd-member.sh returns once the client port accepts connections, which is up to ~1 s
  # before a fresh member has elected itself and serves requests; without this wait that
  # second would be charged to whichever engine talks to the member first.
  local i
  for ((i = 0; i < 300; i++)); do
    etcdctl --endpoints "$url" --command-timeout 2s endpoint health >/dev/null 2>&1 && break
    sleep 0.1
  done
  [ "$i" -lt 300 ] || die "etcd member $1 ($url) did not become healthy within 30 s"
  printf -v "$2" '%s' "$url"
}
stop_member() { "$MEMBER" stop "$STATE" "$1"; }
# CPU seconds (user + system, all threads) a running process has used so far.
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$1/stat" 2>/dev/null || echo 0; }
member_cpu() { cpu_of "$(cat "$STATE/$1.pid")"; }
# CPU seconds this shell's finished children have used (a command substitution counts once
# done). `times` runs in this shell, not in a $(...) subshell, which has no children of its own.
children_cpu() {  # children_cpu <variable>
  times >"$STATE/times"
  printf -v "$1" '%s' "$(awk 'NR == 2 { gsub(/[ms]/, " "); print $1 * 60 + $2 + $3 * 60 + $4 }' "$STATE/times")"
}

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }  # calc <printf format> <awk expression>
ratio() {  # ratio <numerator> <denominator> [format]; "n/a" when the denominator is 0 or either is n/a
  if [ "$1" = n/a ] || [ "$2" = n/a ]; then echo n/a; return; fi
  awk -v a="$1" -v b="$2" -v f="${3:-%.1f}" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf f "\n", a / b }'
}

# Keys under $PREFIX on an endpoint: the Range count with limit 1 (etcdctl 3.4 has no
# --count-only), cheap enough to poll.
key_count() {
  local out
  out=$(etcdctl --endpoints "$1" --command-timeout 10s get "$PREFIX" --prefix --limit 1 -w json) || return 1
  if [[ $out =~ \"count\":([0-9]+) ]]; then echo "${BASH_REMATCH[1]}"; else echo 0; fi
}

# run_lag <label> <source> <dest>: sets LAG_P50, LAG_P99, LAG_MAX, LAG_LINE, LAG_RC.
run_lag() {
  local out
  LAG_RC=0
  out=$("$WORKLOAD" lag --source "$2" --dest "$3" --rate "$RATE" --duration "$LAG_SECONDS" \
          --prefix "$LAG_PREFIX" 2>&1) || LAG_RC=$?
  LAG_LINE=$(grep -m1 '^lag:' <<<"$out" || true)
  if [[ $LAG_LINE =~ p50\ ([0-9.]+)\ ms,\ p99\ ([0-9.]+)\ ms,\ max\ ([0-9.]+)\ ms ]]; then
    LAG_P50=${BASH_REMATCH[1]} LAG_P99=${BASH_REMATCH[2]} LAG_MAX=${BASH_REMATCH[3]}
  else
    die "$1 lag measurement failed (exit $LAG_RC): $out"
  fi
  log "$1: $LAG_LINE"
  if [ "$LAG_RC" -ne 0 ]; then
    log "WARNING: $1: not every lag probe arrived at the destination (exit $LAG_RC)"
  fi
}

# Removes the lag probes from the source so every copy starts from the same KEYS keys.
clear_probes() {
  etcdctl --endpoints "$SOURCE" del "$LAG_PREFIX" --prefix >/dev/null
}

etcd_version=$(etcd --version | sed -n 's/^etcd Version: //p')
log "state in $STATE; $(nproc) CPUs; etcd $etcd_version"
log "KEYS=$KEYS VALUE_SIZE=$VALUE_SIZE RATE=$RATE LAG_SECONDS=$LAG_SECONDS"

# --- 1. source ---------------------------------------------------------------------------
start_member source SOURCE
log "source etcd $SOURCE: loading $KEYS keys of $VALUE_SIZE bytes"
load_out=$("$WORKLOAD" load --endpoints "$SOURCE" --prefix "$PREFIX" --count "$KEYS" \
             --value-size "$VALUE_SIZE" --parallelism "$PARALLELISM")
log "source: $load_out"
source_keys=$(key_count "$SOURCE")
[ "$source_keys" -eq "$KEYS" ] || die "source holds $source_keys keys under $PREFIX, expected $KEYS"
# Where the engines read the source: directly, or through the slow link.
READ_FROM=$SOURCE
link_label="loopback"
if [ "$LINK" = 1 ]; then
  "$PROXY" --target-port "${SOURCE##*:}" --delay-ms "$(awk -v r="$RTT_MS" 'BEGIN { print r / 2 }')" \
    --rate-mbit "$RATE_MBIT" >"$STATE/proxy.out" 2>"$STATE/proxy.log" </dev/null &
  proxy_pid=$!
  bg_pids+=("$proxy_pid")
  failed_logs+=("$STATE/proxy.log")
  for ((i = 0; i < 100; i++)); do [ -s "$STATE/proxy.out" ] && break; sleep 0.1; done
  [ -s "$STATE/proxy.out" ] || die "slow-link-proxy did not start"
  READ_FROM="http://$(head -1 "$STATE/proxy.out")"
  link_label="slow link ($RTT_MS ms RTT, $RATE_MBIT Mbit/s) between the source and both engines"
  log "slow link: $READ_FROM -> $SOURCE ($RTT_MS ms RTT, $RATE_MBIT Mbit/s)"
fi

# --- 2. raw ceiling ----------------------------------------------------------------------
start_member raw RAW
log "raw ceiling: etcd-workload load into empty etcd $RAW"
children_cpu children0
raw_out=$("$WORKLOAD" load --endpoints "$RAW" --prefix "$PREFIX" --count "$KEYS" \
            --value-size "$VALUE_SIZE" --parallelism "$PARALLELISM")
children_cpu children1
raw_writer_cpu=$(awk -v a="$children0" -v b="$children1" 'BEGIN { printf "%.1f", b - a }')
raw_dest_cpu=$(member_cpu raw)
log "raw: $raw_out"
[[ $raw_out =~ \ in\ ([0-9.]+)s: ]] || die "cannot parse the load output: $raw_out"
raw_s=${BASH_REMATCH[1]}
data_mib=$(sed -n 's/.*keys (\([0-9.]*\) MiB).*/\1/p' <<<"$raw_out")
stop_member raw

# --- 3. etcd-sync ------------------------------------------------------------------------
start_member dest-sync DEST_SYNC
sync_log="$STATE/etcd-sync.log"
failed_logs+=("$sync_log")
log "etcd-sync: $READ_FROM -> empty etcd $DEST_SYNC"
source_cpu0=$(member_cpu source)
proxy_cpu0=0
[ "$LINK" = 1 ] && proxy_cpu0=$(cpu_of "$proxy_pid")
t0=$(now)
# No periodic data check during the run: at 1M keys the first one (after 300 s, while the diff
# below runs) overlapped the lag probe and took its p50 from ~20 ms to 388 ms on 2 cores.
"$SYNC" --source-endpoints "$READ_FROM" --dest-endpoints "$DEST_SYNC" --prefix "$PREFIX" \
  --check-interval 86400 >"$sync_log" 2>&1 </dev/null &
sync_pid=$!
bg_pids+=("$sync_pid")
deadline=$((SECONDS + SYNC_TIMEOUT))
until grep -q 'Start Sync update' "$sync_log"; do
  kill -0 "$sync_pid" 2>/dev/null || die "etcd-sync exited before its initial copy was done"
  [ "$SECONDS" -lt "$deadline" ] || die "etcd-sync did not log 'Start Sync update' within ${SYNC_TIMEOUT}s"
  sleep 0.02
done
t1=$(now)
copy_sync_cpu=$(cpu_of "$sync_pid")
copy_dest_cpu=$(member_cpu dest-sync)
copy_source_cpu=$(awk -v a="$source_cpu0" -v b="$(member_cpu source)" 'BEGIN { printf "%.1f", b - a }')
copy_proxy_cpu=0
[ "$LINK" = 1 ] && copy_proxy_cpu=$(awk -v a="$proxy_cpu0" -v b="$(cpu_of "$proxy_pid")" 'BEGIN { printf "%.1f", b - a }')
sync_s=$(elapsed "$t0" "$t1")
log "etcd-sync: 'Start Sync update' after ${sync_s}s"
sync_copy_line=$(grep -m1 'initial copy done' "$sync_log" | sed 's/^[^ ]* [^ ]* //' || true)
[ -z "$sync_copy_line" ] || log "etcd-sync: $sync_copy_line"
sync_copy_phase_s=n/a  # the copy alone, without start-up, connections and the leader election
[[ $sync_copy_line =~ done\ in\ ([0-9.]+)s ]] && sync_copy_phase_s=${BASH_REMATCH[1]}
# The destination must already be equal when etcd-sync says the copy is done.
sync_equal_at_start=yes
if ! diff_out=$("$WORKLOAD" diff --source "$SOURCE" --dest "$DEST_SYNC" --prefix "$PREFIX"); then
  sync_equal_at_start=no
  log "WARNING: destination not equal to source when etcd-sync logged 'Start Sync update': $diff_out"
  diff_out=$("$WORKLOAD" diff --source "$SOURCE" --dest "$DEST_SYNC" --prefix "$PREFIX" --wait 60) ||
    die "etcd-sync: destination differs from source after 60 s: $diff_out"
fi
log "etcd-sync: diff: $diff_out"
run_lag etcd-sync "$SOURCE" "$DEST_SYNC"
sync_p50=$LAG_P50 sync_p99=$LAG_P99 sync_max=$LAG_MAX sync_lag_rc=$LAG_RC
forget_pid "$sync_pid"
stop_pid "$sync_pid" 15 || log "WARNING: etcd-sync did not stop within 15 s of SIGTERM (killed)"
clear_probes  # after the stop: the one-revision delete of all probes is not part of the test
if grep -Eq ' (error|critical) ' "$sync_log"; then
  log "WARNING: etcd-sync logged errors:"
  grep -E ' (error|critical) ' "$sync_log" | head -10 >&2
fi
stop_member dest-sync

# --- 4. make-mirror ----------------------------------------------------------------------
mirror_s=n/a mirror_diff_s=n/a mm_p50=n/a mm_p99=n/a mm_max=n/a mm_lag_rc=0
if [ "$MIRROR" = 1 ]; then
source_keys=$(key_count "$SOURCE")
[ "$source_keys" -eq "$KEYS" ] || die "source holds $source_keys keys under $PREFIX, expected $KEYS"
start_member dest-mirror DEST_MIRROR
mirror_log="$STATE/make-mirror.log"
failed_logs+=("$mirror_log")
log "make-mirror: $READ_FROM -> empty etcd $DEST_MIRROR"
# With neither --dest-prefix nor --no-dest-prefix, etcdctl 3.4 uses --prefix as the
# destination prefix, so keys keep their names.
t0=$(now)
etcdctl --endpoints "$READ_FROM" make-mirror --prefix "$PREFIX" "${DEST_MIRROR#http://}" \
  >"$mirror_log" 2>&1 </dev/null &
mirror_pid=$!
bg_pids+=("$mirror_pid")
# make-mirror writes each key exactly once, so it is done when the destination holds as many
# keys as the source. A limit-1 Range (its count is the total) is far cheaper to poll than a
# full diff, which would steal CPU from make-mirror on a small machine; the diff below then
# proves the copy byte for byte.
deadline=$((SECONDS + MIRROR_TIMEOUT))
last_report=$SECONDS
while true; do
  count=$(key_count "$DEST_MIRROR" || echo -1)
  [ "$count" -lt "$KEYS" ] || break
  kill -0 "$mirror_pid" 2>/dev/null || die "make-mirror exited before its copy was done"
  [ "$SECONDS" -lt "$deadline" ] || die "make-mirror did not copy $KEYS keys within ${MIRROR_TIMEOUT}s ($count copied)"
  if [ $((SECONDS - last_report)) -ge 30 ]; then
    log "make-mirror: $count of $KEYS keys after $((SECONDS - deadline + MIRROR_TIMEOUT))s"
    last_report=$SECONDS
  fi
  sleep 0.1
done
t1=$(now)
mirror_count_s=$(elapsed "$t0" "$t1")
diff_out=$("$WORKLOAD" diff --source "$SOURCE" --dest "$DEST_MIRROR" --prefix "$PREFIX" --wait 60) ||
  die "make-mirror: destination differs from source: $diff_out"
t2=$(now)
mirror_diff_s=$(elapsed "$t0" "$t2")
mirror_s=$mirror_count_s
log "make-mirror: all $KEYS keys after ${mirror_s}s; diff equal after ${mirror_diff_s}s: $diff_out"
run_lag make-mirror "$SOURCE" "$DEST_MIRROR"
mm_p50=$LAG_P50 mm_p99=$LAG_P99 mm_max=$LAG_MAX mm_lag_rc=$LAG_RC
forget_pid "$mirror_pid"
stop_pid "$mirror_pid" 15 || log "WARNING: make-mirror did not stop within 15 s of SIGTERM (killed)"
clear_probes
stop_member dest-mirror
else
  log "make-mirror: left out (MIRROR=0)"
fi

# --- 5. results --------------------------------------------------------------------------
kps() { ratio "$KEYS" "$1" "%.0f"; }
unit() { if [ "$1" = n/a ]; then echo n/a; else echo "$1$2"; fi; }  # unit <number> <unit>
percent_of() {  # percent_of <part> <whole> <format>: 100 * part / whole, or n/a
  local r
  r=$(ratio "$1" "$2" "%.6f")
  if [ "$r" = n/a ]; then echo n/a; else awk -v r="$r" -v f="$3" 'BEGIN { printf f "\n", 100 * r }'; fi
}
mibps() { ratio "$data_mib" "$1" "%.1f"; }
lag_note() { [ "$1" -eq 0 ] && echo "" || echo " (not all probes arrived)"; }
speedup=$(ratio "$mirror_s" "$sync_s" "%.1f")
sync_over_raw=$(ratio "$sync_s" "$raw_s" "%.2f")
pct_of_ceiling=$(ratio "$(calc %.6f "100 * $raw_s")" "$sync_s" "%.0f")
mm_pct_of_ceiling=$(ratio "$(calc %.6f "100 * $raw_s")" "$mirror_s" "%.1f")
p99_ratio=$(ratio "$mm_p99" "$sync_p99" "%.1f")
p50_ratio=$(ratio "$mm_p50" "$sync_p50" "%.1f")
link_s=n/a
if [ "$LINK" = 1 ]; then
  link_s=$(awk -v m="$data_mib" -v r="$RATE_MBIT" 'BEGIN { printf "%.2f", m * 1048576 * 8 / (r * 1e6) }')
fi

cat <<EOF

etcd-sync benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ))
machine:    $(nproc) CPUs, $(uname -sr), etcd/etcdctl $etcd_version, data on ${fstype:-?} ($parent)
build:      $BUILD_DIR at commit $build_rev, $(grep -m1 '^CMAKE_BUILD_TYPE' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null | cut -d= -f2 || echo '?') (binaries copied at start)
parameters: KEYS=$KEYS VALUE_SIZE=$VALUE_SIZE (${data_mib} MiB) RATE=$RATE writes/s LAG_SECONDS=$LAG_SECONDS PARALLELISM=$PARALLELISM
source:     read over $link_label$([ "$LINK" = 1 ] && echo "; its bytes alone need ${link_s}s on it")

initial copy of $KEYS keys into an empty etcd
  engine                     seconds     keys/s    MiB/s   % of ceiling
EOF
printf '  %-24s %9s %10s %8s %13s\n' \
  "raw batched writer" "$raw_s" "$(kps "$raw_s")" "$(mibps "$raw_s")" "100" \
  "etcd-sync" "$sync_s" "$(kps "$sync_s")" "$(mibps "$sync_s")" "$pct_of_ceiling" \
  "etcdctl make-mirror" "$mirror_s" "$(kps "$mirror_s")" "$(mibps "$mirror_s")" "$mm_pct_of_ceiling"
cat <<EOF

replication lag at $RATE writes/s for ${LAG_SECONDS}s (source Put -> destination watch event)
  engine                      p50 ms     p99 ms     max ms
EOF
printf '  %-24s %9s %10s %10s%s\n' \
  "etcd-sync" "$sync_p50" "$sync_p99" "$sync_max" "$(lag_note "$sync_lag_rc")" \
  "etcdctl make-mirror" "$mm_p50" "$mm_p99" "$mm_max" "$(lag_note "$mm_lag_rc")"
cat <<EOF

ratios
  initial copy, make-mirror time / etcd-sync time:   $(unit "$speedup" "x faster")
  initial copy, etcd-sync time / raw writer time:    ${sync_over_raw}x (etcd-sync reaches ${pct_of_ceiling}% of the ceiling throughput)
  lag p50, make-mirror / etcd-sync:                  $(unit "$p50_ratio" x)
  lag p99, make-mirror / etcd-sync:                  $(unit "$p99_ratio" x)
$(if [ "$LINK" = 1 ]; then
  echo "  initial copy vs the link's ceiling (${link_s}s):    etcd-sync $(percent_of "$link_s" "$sync_s" %.0f)% of it, make-mirror $(unit "$(percent_of "$link_s" "$mirror_s" %.1f)" %)"
fi)
CPU seconds on this machine's $(nproc) cores (every process here shares them; across sites the source's
  side runs elsewhere)
  raw batched writer:  $(calc %.1f "$raw_writer_cpu + $raw_dest_cpu") (destination etcd $raw_dest_cpu, writer $raw_writer_cpu): no copy here can take less than $(calc %.1f "($raw_writer_cpu + $raw_dest_cpu) / $(nproc)")s
  etcd-sync copy:      $(calc %.1f "$copy_sync_cpu + $copy_dest_cpu + $copy_source_cpu + $copy_proxy_cpu") (destination etcd $copy_dest_cpu, etcd-sync $copy_sync_cpu, source etcd $copy_source_cpu$([ "$LINK" = 1 ] && echo ", link proxy $copy_proxy_cpu")): $(calc %.1f "($copy_sync_cpu + $copy_dest_cpu + $copy_source_cpu + $copy_proxy_cpu) / $(nproc)")s of the ${sync_s}s at full use of every core
notes
  etcd-sync time: process start -> 'Start Sync update' logged (destination equal at that moment: $sync_equal_at_start);
    of which the copy itself (etcd-sync's 'initial copy done in' log line): ${sync_copy_phase_s}s
  make-mirror time: process start -> destination holds all $KEYS keys (byte-equal diff confirmed at ${mirror_diff_s}s)

RESULT keys=$KEYS value_size=$VALUE_SIZE rate=$RATE lag_seconds=$LAG_SECONDS nproc=$(nproc) etcd=$etcd_version
RESULT link=$([ "$LINK" = 1 ] && echo "rtt${RTT_MS}ms_${RATE_MBIT}mbit" || echo loopback) link_ceiling_seconds=$link_s
RESULT raw_writer_seconds=$raw_s raw_writer_cpu_seconds=$(calc %.1f "$raw_writer_cpu + $raw_dest_cpu")
RESULT etcd_sync_copy_cpu_seconds=$(calc %.1f "$copy_sync_cpu + $copy_dest_cpu + $copy_source_cpu + $copy_proxy_cpu") destination=$copy_dest_cpu etcd_sync=$copy_sync_cpu source=$copy_source_cpu proxy=$copy_proxy_cpu
RESULT etcd_sync_initial_copy_seconds=$sync_s
RESULT make_mirror_initial_copy_seconds=$mirror_s
RESULT etcd_sync_lag_p50_ms=$sync_p50 etcd_sync_lag_p99_ms=$sync_p99
RESULT make_mirror_lag_p50_ms=$mm_p50 make_mirror_lag_p99_ms=$mm_p99
RESULT initial_copy_speedup_vs_make_mirror=$(unit "$speedup" x)
RESULT etcd_sync_percent_of_raw_ceiling=${pct_of_ceiling}%
RESULT lag_p99_ratio_make_mirror_vs_etcd_sync=$(unit "$p99_ratio" x)
EOF
