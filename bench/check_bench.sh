#!/usr/bin/env bash
# etcd-sync-monitor /check on a large keyspace: time and peak memory of etcd-sync.
#   KEYS=1000000 VALUE_SIZE=512 DRIFT=10000 bash bench/check_bench.sh
# Starts a local etcd pair on 127.0.0.1, loads KEYS Kubernetes-shaped keys into the
# primary, lets etcd-sync copy them, injects DRIFT surplus keys on the standby, then calls
# /check (text and JSON). Before the checks it measures the ceiling: both etcds read at once,
# unpaged, keys and values (etcdctl get --prefix -w protobuf), with the load average beside
# every figure (a shared machine: compare the ratios). Everything is torn down at the end.
# LINK=1: etcd-sync reads the primary through slow-link-proxy (RTT_MS [20] round trip,
# RATE_MBIT [200]) as on a DR standby; the report adds the time the source's bytes need on
# that link (the primary's unpaged protobuf size at RATE_MBIT).
# CEILING=auto|1|0: the unpaged ceiling read runs when the memory it needs is available (auto),
# always (1) or never (0).
# Previous figures (before issue 18, paged with limit 10000): /check 52-74 s at 1M x 512 B,
# etcd-sync peak RSS 279-369 MiB.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
KEYS=${KEYS:-1000000}
VALUE_SIZE=${VALUE_SIZE:-512}
DRIFT=${DRIFT:-10000}
CEILING=${CEILING:-auto}
LINK=${LINK:-0}
RTT_MS=${RTT_MS:-20}
RATE_MBIT=${RATE_MBIT:-200}
bin="$root/build/cmd"
[ -x "$bin/etcd-sync/etcd-sync" ] || { echo "build first: bash scripts/build.sh" >&2; exit 1; }
state=$(mktemp -d /var/tmp/check-bench.XXXXXX)
sync_pid=""
proxy_pid=""
cleanup() {
  [ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null && wait "$proxy_pid" 2>/dev/null  || true
  [ -n "$sync_pid" ] && kill "$sync_pid" 2>/dev/null && wait "$sync_pid" 2>/dev/null || true
  "$root/scripts/etcd-pair.sh" stop "$state" >/dev/null 2>&1 || true
  rm -rf "$state"
}
trap cleanup EXIT
"$root/scripts/etcd-pair.sh" start "$state" --owner-pid $$ >/dev/null
# shellcheck disable=SC1091
. "$state/pair.env"
for url in "$PRIMARY_ENDPOINTS" "$STANDBY_ENDPOINTS"; do
  for _ in $(seq 100); do ETCDCTL_API=3 etcdctl --endpoints "$url" endpoint health >/dev/null 2>&1 && break; sleep 0.1; done
done

echo "loading $KEYS keys of $VALUE_SIZE bytes into the primary" >&2
"$bin/etcd-workload/etcd-workload" load --endpoints "$PRIMARY_ENDPOINTS" --count "$KEYS" \
  --value-size "$VALUE_SIZE" >&2
read_from=$PRIMARY_ENDPOINTS
if [ "$LINK" = 1 ]; then
  "$root/build/cmd/slow-link-proxy/slow-link-proxy" --target-port "${PRIMARY_ENDPOINTS##*:}" \
    --delay-ms "$(awk -v r="$RTT_MS" 'BEGIN { print r / 2 }')" --rate-mbit "$RATE_MBIT" \
    >"$state/proxy.out" 2>"$state/proxy.log" &
  proxy_pid=$!
  for _ in $(seq 50); do [ -s "$state/proxy.out" ] && break; sleep 0.1; done
  read_from="http://$(head -1 "$state/proxy.out")"
  echo "slow link: $read_from -> $PRIMARY_ENDPOINTS ($RTT_MS ms RTT, $RATE_MBIT Mbit/s)" >&2
fi
"$bin/etcd-sync/etcd-sync" --source-endpoints "$read_from" \
  --dest-endpoints "$STANDBY_ENDPOINTS" --monitor-listen 127.0.0.1:0 \
  --check-interval 86400 > "$state/sync.log" 2>&1 &
sync_pid=$!
for _ in $(seq 3000); do
  grep -q "Start Sync update" "$state/sync.log" && break
  kill -0 "$sync_pid" 2>/dev/null || { cat "$state/sync.log" >&2; exit 1; }
  sleep 0.1
done
grep -E "initial copy done" "$state/sync.log" >&2
port=$(grep -o 'etcd-sync-monitor listening on 127.0.0.1:[0-9]*' "$state/sync.log" | grep -o '[0-9]*$')
rss_mb() { awk '/^VmRSS/ {printf "%.0f", $2/1024}' "/proc/$sync_pid/status"; }
hwm_mb() { awk '/^VmHWM/ {printf "%.0f", $2/1024}' "/proc/$sync_pid/status"; }
rss_before=$(rss_mb); hwm_before=$(hwm_mb)

if [ "$DRIFT" -gt 0 ]; then
  "$bin/etcd-workload/etcd-workload" load --endpoints "$STANDBY_ENDPOINTS" \
    --prefix /registry/drift/ --count "$DRIFT" --value-size 64 >/dev/null
fi

# CPU seconds (user + system, all threads) a process has used so far.
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }
cpu_all() { echo "$(cpu_of "$(cat "$state/primary.pid")") $(cpu_of "$(cat "$state/standby.pid")") $(cpu_of "$sync_pid")"; }
time_check() {  # $1: query string; prints seconds, the body's line count and the CPU seconds
  local start end before after
  before=$(cpu_all)
  start=$(date +%s.%N)
  curl -sf --max-time 1800 "http://127.0.0.1:$port/check$1" -o "$state/check.out"
  end=$(date +%s.%N)
  after=$(cpu_all)
  # primary etcd, standby etcd, etcd-sync
  echo "$(echo "$end - $start" | bc) $(wc -l < "$state/check.out") $(awk -v a="$before" -v b="$after" 'BEGIN {
    split(a, x, " "); split(b, y, " "); printf "%.1f %.1f %.1f", y[1] - x[1], y[2] - x[2], y[3] - x[3] }')"
}
cpu_line() {  # cpu_line <primary> <standby> <etcd-sync>
  awk -v p="$1" -v s="$2" -v e="$3" -v n="$(nproc)" 'BEGIN {
    printf "CPU %.1f s (primary etcd %.1f, standby etcd %.1f, etcd-sync %.1f): at least %.1f s on %d cores", p + s + e, p, s, e, (p + s + e) / n, n }'
}
load() { awk '{print $1}' /proc/loadavg; }
# The unpaged read makes each etcd hold its whole answer at once: about 14 bytes of memory per
# byte of key and value on both sides together (3M x 512 B: the primary alone reached 7.8 GB
# and was OOM-killed on a 23 GB machine). Skipped when it would not fit, unless CEILING=1.
need_kib=$(awk -v k="$KEYS" -v v="$VALUE_SIZE" 'BEGIN { printf "%.0f", k * (v + 100) * 14 / 1024 }')
avail_kib=$(awk '/^MemAvailable/ { print $2 }' /proc/meminfo)
ceiling_load=$(load)
ceiling_seconds=n/a
ceiling_note=""
if [ "$CEILING" = 1 ] || { [ "$CEILING" = auto ] && [ "$need_kib" -lt "$avail_kib" ]; }; then
  ceiling_start=$(date +%s.%N)
  readers=()
  for url in "$PRIMARY_ENDPOINTS" "$STANDBY_ENDPOINTS"; do
    ETCDCTL_API=3 etcdctl --command-timeout=1800s --endpoints "$url" get /registry/ --prefix \
      -w protobuf | wc -c > "$state/ceiling.$(echo "$url" | tr -c '0-9' _)" &
    readers+=($!)
  done
  wait "${readers[@]}"  # not etcd-sync, also a child
  ceiling_seconds=$(echo "$(date +%s.%N) - $ceiling_start" | bc)
else
  ceiling_note=" (skipped: it needs about $((need_kib / 1048576)) GiB, $((avail_kib / 1048576)) GiB available; CEILING=1 forces it)"
  # The source's bytes for the link line: what the loader wrote.
  echo "$KEYS $VALUE_SIZE" | awk '{ printf "%.0f", $1 * ($2 + 90) }' \
    > "$state/ceiling.$(echo "$PRIMARY_ENDPOINTS" | tr -c '0-9' _)"
fi
text_load=$(load)
read -r text_seconds text_lines text_cpu_p text_cpu_s text_cpu_e < <(time_check "")
json_load=$(load)
read -r json_seconds _ json_cpu_p json_cpu_s json_cpu_e < <(time_check "?format=json")
again_load=$(load)
read -r again_seconds _ again_cpu_p again_cpu_s again_cpu_e < <(time_check "")
hwm_after=$(hwm_mb)
source_bytes=$(cat "$state/ceiling.$(echo "$PRIMARY_ENDPOINTS" | tr -c '0-9' _)")
link_seconds=$(awk -v b="$source_bytes" -v r="$RATE_MBIT" 'BEGIN { printf "%.1f", b * 8 / (r * 1e6) }')
link_line=""
if [ "$LINK" = 1 ]; then
  link_line="  through the link ($RTT_MS ms RTT, $RATE_MBIT Mbit/s): the source's $((source_bytes / 1048576)) MiB need ${link_seconds}s; text /check / that: $(echo "scale=2; $text_seconds / $link_seconds" | bc)"
fi

cat <<REPORT

/check on $KEYS keys ($VALUE_SIZE-byte values) per side, $DRIFT surplus keys injected
machine: $(nproc) CPUs, etcd $(etcd --version | awk '/etcd Version/ {print $3}')
                                     this run              previous (issue 18)
  ceiling (both sides, unpaged):     ${ceiling_seconds}$([ "$ceiling_seconds" = n/a ] || echo s) (load $ceiling_load)$ceiling_note
  text /check:                       ${text_seconds}s (load $text_load)    52-74 s at 1M
    $(cpu_line "$text_cpu_p" "$text_cpu_s" "$text_cpu_e")
  JSON /check:                       ${json_seconds}s (load $json_load)
    $(cpu_line "$json_cpu_p" "$json_cpu_s" "$json_cpu_e")
  text /check again:                 ${again_seconds}s (load $again_load)
    $(cpu_line "$again_cpu_p" "$again_cpu_s" "$again_cpu_e")
  /check / ceiling:                  $([ "$ceiling_seconds" = n/a ] && echo n/a || echo "scale=2; $text_seconds / $ceiling_seconds" | bc)
$link_line
  text /check: $text_lines lines, $(echo "$KEYS / $text_seconds" | bc) keys/s per side
  etcd-sync memory: RSS ${rss_before} MiB before, peak ${hwm_before} MiB before the checks (the copy),
                    peak ${hwm_after} MiB after both checks (previous: 279-369 MiB)
RESULT keys=$KEYS value_size=$VALUE_SIZE drift=$DRIFT
RESULT ceiling_seconds=$ceiling_seconds check_text_seconds=$text_seconds check_json_seconds=$json_seconds check_text_again_seconds=$again_seconds
RESULT etcd_sync_peak_rss_mib_before=$hwm_before etcd_sync_peak_rss_mib_after=$hwm_after
RESULT check_text_cpu_seconds primary=$text_cpu_p standby=$text_cpu_s etcd_sync=$text_cpu_e
RESULT check_json_cpu_seconds primary=$json_cpu_p standby=$json_cpu_s etcd_sync=$json_cpu_e
RESULT check_again_seconds=$again_seconds cpu primary=$again_cpu_p standby=$again_cpu_s etcd_sync=$again_cpu_e
RESULT link=$([ "$LINK" = 1 ] && echo "rtt${RTT_MS}ms_${RATE_MBIT}mbit" || echo loopback) link_seconds_for_source_bytes=$link_seconds
REPORT
