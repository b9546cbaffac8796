#!/usr/bin/env bash
# Starts or stops the local DR pair: a "primary" and a "standby" etcd on free loopback
# ports. Writes <state-dir>/pair.env with PRIMARY_ENDPOINTS and STANDBY_ENDPOINTS.
#
#   scripts/etcd-pair.sh start <state-dir> [--tls <certs-dir>] [--owner-pid <pid>]
#   scripts/etcd-pair.sh stop <state-dir>
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 start|stop <state-dir> [--tls <certs-dir>] [--owner-pid <pid>]" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
action=$1 dir=$2
shift 2
case "$action" in
  start)
    primary=$("$here/etcd-member.sh" start "$dir" primary "$@")
    standby=$("$here/etcd-member.sh" start "$dir" standby "$@")
    printf 'PRIMARY_ENDPOINTS=%s\nSTANDBY_ENDPOINTS=%s\n' "$primary" "$standby" > "$dir/pair.env"
    cat "$dir/pair.env"
    ;;
  stop)
    "$here/etcd-member.sh" stop "$dir" primary
    "$here/etcd-member.sh" stop "$dir" standby
    ;;
  *) echo "unknown action $action" >&2; exit 2 ;;
esac
