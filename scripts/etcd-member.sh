#!/usr/bin/env bash
# Starts or stops one single-member etcd (package etcd-server) on 127.0.0.1 with free
# ports and its own data dir, for tests, benchmarks and the quickstart.
#
#   scripts/etcd-member.sh start <state-dir> <name> [--tls <certs-dir>] [--owner-pid <pid>]
#       prints the client URL; writes <state-dir>/<name>.{url,pid,log} and data in
#       <state-dir>/<name>.data. With --owner-pid the member is stopped when that
#       process dies (so a crashed test leaves nothing running).
#   scripts/etcd-member.sh stop <state-dir> <name>
set -euo pipefail

usage() { echo "usage: $0 start|stop <state-dir> <name> [--tls <certs-dir>] [--owner-pid <pid>]" >&2; exit 2; }
[ $# -ge 3 ] || usage
action=$1 dir=$2 name=$3
shift 3
certs="" owner=""
while [ $# -gt 0 ]; do
  case "$1" in
    --tls) certs=$2; shift 2 ;;
    --owner-pid) owner=$2; shift 2 ;;
    *) usage ;;
  esac
done

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib/ports.sh
. "$here/lib/ports.sh"
# shellcheck source=scripts/lib/server_process.sh
. "$here/lib/server_process.sh"


case "$action" in
  stop) stop_pidfile "$dir/$name.pid"; exit 0 ;;
  start) ;;
  *) usage ;;
esac

command -v etcd >/dev/null || { echo "etcd not found: apt-get install etcd-server" >&2; exit 1; }
command -v etcdctl >/dev/null || { echo "etcdctl not found: apt-get install etcd-client" >&2; exit 1; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
stop_pidfile "$dir/$name.pid"

scheme=http
tls_flags=()
health_flags=()
if [ -n "$certs" ]; then
  scheme=https
  tls_flags=(--cert-file "$certs/server.crt" --key-file "$certs/server.key"
             --trusted-ca-file "$certs/ca.crt" --client-cert-auth)
  health_flags=(--cacert "$certs/ca.crt" --cert "$certs/client.crt" --key "$certs/client.key")
fi

for attempt in 1 2 3 4 5; do
  client_port=$(free_port)
  peer_port=$(free_port)
  url="$scheme://127.0.0.1:$client_port"
  rm -rf "$dir/$name.data"
  # setsid: the member survives the shell that started it; the owner watch stops it.
  setsid etcd --name "$name" --data-dir "$dir/$name.data" \
    --listen-client-urls "$url" --advertise-client-urls "$url" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "$name=http://127.0.0.1:$peer_port" \
    --initial-cluster-token "$name-$$" \
    --quota-backend-bytes $((8 * 1024 * 1024 * 1024)) \
    --logger zap --log-level warn \
    "${tls_flags[@]}" >"$dir/$name.log" 2>&1 < /dev/null &
  pid=$!
  echo "$pid" > "$dir/$name.pid"
  echo "$url" > "$dir/$name.url"
  for _ in $(seq 100); do
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    # Ready means serving with a raft leader, not merely listening.
    if port_open "$client_port" &&
        ETCDCTL_API=3 etcdctl --endpoints "$url" "${health_flags[@]}" \
          --command-timeout=2s endpoint health >/dev/null 2>&1; then
      watch_owner "$owner" "$pid"
      echo "$url"
      exit 0
    fi
    sleep 0.1
  done
  stop_pidfile "$dir/$name.pid"
  if ! grep -q "address already in use" "$dir/$name.log" 2>/dev/null; then break; fi
done
echo "etcd $name did not start; its log follows:" >&2
tail -20 "$dir/$name.log" >&2
exit 1
