#!/usr/bin/env bash
# Starts or stops one Docker Distribution registry (package docker-registry) on 127.0.0.1
# with a free port and its own storage dir, for tests, benchmarks and the quickstart.
#
#   scripts/registry-server.sh start <state-dir> <name> [--tls <certs-dir>]
#                                    [--htpasswd <file>] [--owner-pid <pid>]
#                                    [--token-realm <url> --token-cert <pem>]
#       prints the registry address (127.0.0.1:<port>); writes <state-dir>/<name>.{addr,
#       pid,log,yml} and blobs under <state-dir>/<name>.data. --tls serves HTTPS with
#       server.crt/server.key of scripts/gen-test-certs.sh; --htpasswd turns on Basic auth
#       (bcrypt entries, e.g. from `htpasswd -nbB`); --token-realm/--token-cert turn on the
#       Docker token flow (service test-registry, issuer test-token-issuer, tokens signed by
#       the key of that certificate). With --owner-pid the registry is
#       stopped when that process dies (so a crashed test leaves nothing running).
#   scripts/registry-server.sh stop <state-dir> <name>
set -euo pipefail

usage() {
  echo "usage: $0 start|stop <state-dir> <name> [--tls <certs-dir>] [--htpasswd <file>] [--owner-pid <pid>] [--token-realm <url> --token-cert <pem>]" >&2
  exit 2
}
[ $# -ge 3 ] || usage
action=$1 dir=$2 name=$3
shift 3
certs="" htpasswd="" owner="" token_realm="" token_cert=""
while [ $# -gt 0 ]; do
  case "$1" in
    --tls) certs=$2; shift 2 ;;
    --htpasswd) htpasswd=$2; shift 2 ;;
    --owner-pid) owner=$2; shift 2 ;;
    --token-realm) token_realm=$2; shift 2 ;;
    --token-cert) token_cert=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift 2 ;;
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

command -v docker-registry >/dev/null ||
  { echo "docker-registry not found: apt-get install docker-registry" >&2; exit 1; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
[ -z "$certs" ] || certs=$(cd "$certs" && pwd)
[ -z "$htpasswd" ] || htpasswd=$(cd "$(dirname "$htpasswd")" && pwd)/$(basename "$htpasswd")
stop_pidfile "$dir/$name.pid"

for attempt in 1 2 3 4 5; do
  port=$(free_port)
  addr="127.0.0.1:$port"
  mkdir -p "$dir/$name.data"
  {
    echo "version: 0.1"
    echo "log: {level: warn, accesslog: {disabled: true}}"
    echo "storage:"
    echo "  filesystem: {rootdirectory: \"$dir/$name.data\"}"
    echo "  delete: {enabled: true}"
    echo "  maintenance: {uploadpurging: {enabled: false}}"
    echo "http:"
    echo "  addr: $addr"
    echo "  secret: test-secret-$name"
    if [ -n "$certs" ]; then
      echo "  tls: {certificate: \"$certs/server.crt\", key: \"$certs/server.key\"}"
    fi
    if [ -n "$htpasswd" ]; then
      echo "auth:"
      echo "  htpasswd: {realm: test-registry, path: \"$htpasswd\"}"
    elif [ -n "$token_realm" ]; then
      echo "auth:"
      echo "  token: {realm: \"$token_realm\", service: test-registry, issuer: test-token-issuer,"
      echo "          rootcertbundle: \"$token_cert\"}"
    fi
  } > "$dir/$name.yml"
  # setsid: the registry survives the shell that started it; the owner watch stops it.
  setsid docker-registry serve "$dir/$name.yml" >"$dir/$name.log" 2>&1 < /dev/null &
  pid=$!
  echo "$pid" > "$dir/$name.pid"
  echo "$addr" > "$dir/$name.addr"
  for _ in $(seq 100); do
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    if port_open "$port"; then
      watch_owner "$owner" "$pid"
      echo "$addr"
      exit 0
    fi
    sleep 0.1
  done
  stop_pidfile "$dir/$name.pid"
  if ! grep -q "address already in use" "$dir/$name.log" 2>/dev/null; then break; fi
done
echo "registry $name did not start; its log follows:" >&2
tail -20 "$dir/$name.log" >&2
exit 1
