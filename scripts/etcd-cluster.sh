#!/usr/bin/env bash
# Starts, faults and stops a multi-member etcd cluster (package etcd-server) on 127.0.0.1 with
# free ports, for the fault suite (tests and bench/fault_suite.sh).
#
#   scripts/etcd-cluster.sh start <dir> <name> [--members N] [--owner-pid P]
#                                 [--heartbeat-ms 100] [--election-ms 1000] [--quota-bytes B]
#       prints the client URLs (comma-separated); writes <dir>/<name>.env and, per member i
#       (0-based), <dir>/<name>-<i>.{url,pid,log,data}. With --owner-pid every member is
#       stopped when that process dies. On a loaded machine raise the timeouts (the short CI
#       form uses 300/3000) so load does not cause elections.
#   scripts/etcd-cluster.sh kill <dir> <name> <i>      kill -9 member i
#   scripts/etcd-cluster.sh restart <dir> <name> <i>   start member i again on its data
#   scripts/etcd-cluster.sh restore <dir> <name> <snapshot>
#       stops every member and restores each from <snapshot> with the same names, peer URLs
#       and token (so the same cluster ID), then starts them: the revision goes backwards.
#   scripts/etcd-cluster.sh stop <dir> <name>
set -euo pipefail

usage() { sed -n '2,18p' "$0" >&2; exit 2; }
[ $# -ge 3 ] || usage
action=$1 dir=$2 name=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib/ports.sh
. "$here/lib/ports.sh"
# shellcheck source=scripts/lib/server_process.sh
. "$here/lib/server_process.sh"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
env_file="$dir/$name.env"

# Starts member $1 in the background (state "new" or "existing" in $2).
launch() {
  local i=$1 state=$2 member="$name-$1"
  local client_port peer_port
  client_port=$(echo "${CLIENT_PORTS}" | cut -d, -f$((i + 1)))
  peer_port=$(echo "${PEER_PORTS}" | cut -d, -f$((i + 1)))
  # setsid: the member survives the shell that started it; the owner watch stops it.
  setsid etcd --name "$member" --data-dir "$dir/$member.data" \
    --listen-client-urls "http://127.0.0.1:$client_port" \
    --advertise-client-urls "http://127.0.0.1:$client_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "$INITIAL_CLUSTER" --initial-cluster-token "$TOKEN" \
    --initial-cluster-state "$state" \
    --heartbeat-interval "$HEARTBEAT_MS" --election-timeout "$ELECTION_MS" \
    --quota-backend-bytes "$QUOTA_BYTES" \
    --logger zap --log-level warn >>"$dir/$member.log" 2>&1 </dev/null &
  echo $! >"$dir/$member.pid"
  echo "http://127.0.0.1:$client_port" >"$dir/$member.url"
}

# Waits until member $1 serves (with a leader) or its process ends; false on failure.
wait_member() {
  local i=$1 member="$name-$1" pid url
  pid=$(cat "$dir/$member.pid")
  url=$(cat "$dir/$member.url")
  for _ in $(seq 600); do
    kill -0 "$pid" 2>/dev/null || return 1
    if ETCDCTL_API=3 etcdctl --endpoints "$url" --command-timeout=2s endpoint health \
        >/dev/null 2>&1; then
      watch_owner "$OWNER" "$pid"
      return 0
    fi
    sleep 0.1
  done
  return 1
}

start_all() {  # $1: new or existing
  local i ok=0
  for i in $(seq 0 $((MEMBERS - 1))); do launch "$i" "$1"; done
  for i in $(seq 0 $((MEMBERS - 1))); do wait_member "$i" || ok=1; done
  return $ok
}

stop_all() {
  local i
  for i in $(seq 0 $((MEMBERS - 1))); do stop_pidfile "$dir/$name-$i.pid"; done
}

case "$action" in
  start)
    MEMBERS=3 OWNER="" HEARTBEAT_MS=100 ELECTION_MS=1000 QUOTA_BYTES=$((8 * 1024 * 1024 * 1024))
    while [ $# -gt 0 ]; do
      case "$1" in
        --members) MEMBERS=$2; shift 2 ;;
        --owner-pid) OWNER=$2; shift 2 ;;
        --heartbeat-ms) HEARTBEAT_MS=$2; shift 2 ;;
        --election-ms) ELECTION_MS=$2; shift 2 ;;
        --quota-bytes) QUOTA_BYTES=$2; shift 2 ;;
        *) usage ;;
      esac
    done
    command -v etcd >/dev/null || { echo "etcd not found: apt-get install etcd-server" >&2; exit 1; }
    [ -f "$env_file" ] && { . "$env_file"; stop_all; }
    for attempt in 1 2 3; do
      CLIENT_PORTS="" PEER_PORTS="" INITIAL_CLUSTER="" ENDPOINTS=""
      for i in $(seq 0 $((MEMBERS - 1))); do
        c=$(free_port) p=$(free_port)
        CLIENT_PORTS="${CLIENT_PORTS:+$CLIENT_PORTS,}$c"
        PEER_PORTS="${PEER_PORTS:+$PEER_PORTS,}$p"
        INITIAL_CLUSTER="${INITIAL_CLUSTER:+$INITIAL_CLUSTER,}$name-$i=http://127.0.0.1:$p"
        ENDPOINTS="${ENDPOINTS:+$ENDPOINTS,}http://127.0.0.1:$c"
        rm -rf "$dir/$name-$i.data"
      done
      TOKEN="$name-$$-$attempt"
      cat >"$env_file" <<ENV
MEMBERS=$MEMBERS
OWNER=$OWNER
HEARTBEAT_MS=$HEARTBEAT_MS
ELECTION_MS=$ELECTION_MS
QUOTA_BYTES=$QUOTA_BYTES
CLIENT_PORTS=$CLIENT_PORTS
PEER_PORTS=$PEER_PORTS
INITIAL_CLUSTER=$INITIAL_CLUSTER
TOKEN=$TOKEN
ENDPOINTS=$ENDPOINTS
ENV
      if start_all new; then echo "$ENDPOINTS"; exit 0; fi
      stop_all
      grep -qs "address already in use" "$dir/$name"-*.log || break
    done
    echo "etcd cluster $name did not start; its logs follow:" >&2
    tail -n 10 "$dir/$name"-*.log >&2
    exit 1
    ;;
esac

[ -f "$env_file" ] || { echo "no cluster $name in $dir" >&2; exit 1; }
# shellcheck disable=SC1090
. "$env_file"
case "$action" in
  stop) stop_all; rm -f "$env_file" ;;
  kill)
    [ $# -eq 1 ] || usage
    pid=$(cat "$dir/$name-$1.pid")
    kill -9 "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && [ -n "$(process_start_time "$pid")" ]; do sleep 0.05; done
    ;;
  restart)
    [ $# -eq 1 ] || usage
    launch "$1" existing
    # A member alone cannot be healthy without quorum: wait for it to serve only if it can.
    pid=$(cat "$dir/$name-$1.pid")
    watch_owner "$OWNER" "$pid"
    ;;
  restore)
    [ $# -eq 1 ] || usage
    snapshot=$1
    stop_all
    for i in $(seq 0 $((MEMBERS - 1))); do
      peer_port=$(echo "$PEER_PORTS" | cut -d, -f$((i + 1)))
      rm -rf "$dir/$name-$i.data"
      ETCDCTL_API=3 etcdctl snapshot restore "$snapshot" --name "$name-$i" \
        --data-dir "$dir/$name-$i.data" --initial-cluster "$INITIAL_CLUSTER" \
        --initial-cluster-token "$TOKEN" \
        --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" >/dev/null 2>&1
    done
    if ! start_all existing; then
      echo "etcd cluster $name did not start after the restore; its logs follow:" >&2
      tail -n 10 "$dir/$name"-*.log >&2
      exit 1
    fi
    ;;
  *) usage ;;
esac
