#!/usr/bin/env bash
# The main job on an embedded default: a local primary and standby etcd, Kubernetes-shaped
# sample keys in the primary, etcd-sync between them, live changes, and the consistency
# result; then the image sync of a sample bundle into a local registry (upgrade.sh
# --only-sync-image) and violet's offline commands on sample packages. Everything runs on
# 127.0.0.1 and is torn down at the end (--keep leaves it up).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
keep=false
[ "${1:-}" = "--keep" ] && keep=true
keys=${QUICKSTART_KEYS:-20000}

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" >/dev/null
bin="$root/build/cmd"
state=$(mktemp -d /tmp/etcd-sync-quickstart.XXXXXX)
sync_pid=""
cleanup() {
  [ -n "$sync_pid" ] && kill "$sync_pid" 2>/dev/null && wait "$sync_pid" 2>/dev/null || true
  "$root/scripts/etcd-pair.sh" stop "$state" >/dev/null
  "$root/scripts/registry-server.sh" stop "$state" registry >/dev/null 2>&1 || true
  rm -rf "$state"
}
if $keep; then
  owner=()
else
  trap cleanup EXIT
  owner=(--owner-pid $$)
fi

step() { printf '\n==> %s\n' "$*"; }
step "starting a local primary and standby etcd"
"$root/scripts/etcd-pair.sh" start "$state" "${owner[@]}"
# shellcheck disable=SC1091
. "$state/pair.env"

step "loading $keys Kubernetes-shaped objects into the primary"
"$bin/etcd-workload/etcd-workload" load --endpoints "$PRIMARY_ENDPOINTS" --count "$keys"

step "starting etcd-sync (log: $state/etcd-sync.log)"
"$bin/etcd-sync/etcd-sync" --source-endpoints "$PRIMARY_ENDPOINTS" \
  --dest-endpoints "$STANDBY_ENDPOINTS" --monitor-listen 127.0.0.1:0 \
  > "$state/etcd-sync.log" 2>&1 &
sync_pid=$!
for _ in $(seq 600); do
  grep -q "Start Sync update" "$state/etcd-sync.log" && break
  kill -0 "$sync_pid" 2>/dev/null || { cat "$state/etcd-sync.log"; exit 1; }
  sleep 0.1
done
grep -E "Acquired leader lease|initial copy done|Start Sync update|monitor listening" "$state/etcd-sync.log"
monitor="http://127.0.0.1:$(grep -o 'etcd-sync-monitor listening on 127.0.0.1:[0-9]*' "$state/etcd-sync.log" | grep -o '[0-9]*$')"

step "changing data live on the primary"
"$bin/etcd-workload/etcd-workload" mutate --endpoints "$PRIMARY_ENDPOINTS"

step "byte-for-byte comparison of primary and standby under /registry/"
"$bin/etcd-workload/etcd-workload" diff --source "$PRIMARY_ENDPOINTS" \
  --dest "$STANDBY_ENDPOINTS" --wait 30

step "etcd-sync-monitor: GET $monitor/check"
curl -sf "$monitor/check"
curl -sf "$monitor/check?format=json" | head -c 300; echo

step "injecting drift on the standby (one extra key), then /check again"
ETCDCTL_API=3 etcdctl --endpoints "$STANDBY_ENDPOINTS" put /registry/configmaps/team-x/only-on-standby drift >/dev/null
curl -sf "$monitor/check"
ETCDCTL_API=3 etcdctl --endpoints "$STANDBY_ENDPOINTS" del /registry/configmaps/team-x/only-on-standby >/dev/null

step "replication lag at 1000 writes/s for 3 s"
"$bin/etcd-workload/etcd-workload" lag --source "$PRIMARY_ENDPOINTS" \
  --dest "$STANDBY_ENDPOINTS" --rate 1000 --duration 3

step "image sync: a sample bundle into a local registry (upgrade.sh --only-sync-image)"
registry=$("$root/scripts/registry-server.sh" start "$state" registry "${owner[@]}")
# The core package keeps its images as images.tar, read in place (never extracted).
mkdir -p "$state/package"
"$bin/make-sample-bundle/make-sample-bundle" "$state/layout" --images 12 \
  --archive "$state/package/images.tar" >/dev/null
rm -rf "$state/layout"
export IMAGE_SYNC_BIN="$bin/image-sync/image-sync" UPGRADE_CORE_BIN="$bin/upgrade-core/upgrade-core"
bash "$root/upgrade.sh" --only-sync-image=true --bundle "$state/package/images.tar" \
  --registry "$registry" --plain
step "the same push again: every image is found by digest, nothing is sent"
bash "$root/upgrade.sh" --only-sync-image --bundle "$state/package/images.tar" \
  --registry "$registry" --plain
step "violet: sample packages, their signatures and metadata (no platform needed)"
"$root/scripts/make-sample-packages.sh" "$state/packages" >/dev/null
"$bin/violet/violet" verify "$state/packages" --keyring "$state/packages/violet-sample-key.asc"
"$bin/violet/violet" show "$(ls "$state"/packages/topolvm-operator*.tgz)" --all

if $keep; then
  step "left running: etcd-sync pid $sync_pid, state in $state"
  echo "registry: $registry"
  echo "stop with: kill $sync_pid; $root/scripts/etcd-pair.sh stop $state; $root/scripts/registry-server.sh stop $state registry"
fi
