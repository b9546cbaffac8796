#!/usr/bin/env bash
# The etcd-sync image as an operator gets it: built by scripts/build-etcd-sync-image.sh,
# pushed by image-sync into a real docker-registry, read back by skopeo (an independent
# client), unpacked, and run from its own root filesystem (chroot, as uid 65532) — first
# --version, then a real replication between two etcd members — which proves the image
# holds every library the binary needs.
#
#   tests/scripts/etcd_sync_image_test.sh <etcd-sync binary> <image-sync binary>
# Needs root (chroot); exits 77 (skipped) otherwise.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 <etcd-sync> <image-sync>" >&2; exit 2; }
etcd_sync=$1 image_sync=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIPPED: running the image's root filesystem needs chroot, i.e. root" >&2
  exit 77
fi
work=$(mktemp -d)
sync_pid=""
cleanup() {
  if [ -n "$sync_pid" ]; then kill "$sync_pid" 2>/dev/null || true; wait "$sync_pid" 2>/dev/null || true; fi
  local stops=()
  bash "$root/scripts/registry-server.sh" stop "$work/servers" registry >/dev/null 2>&1 & stops+=($!)
  bash "$root/scripts/etcd-member.sh" stop "$work/servers" source >/dev/null 2>&1 & stops+=($!)
  bash "$root/scripts/etcd-member.sh" stop "$work/servers" dest >/dev/null 2>&1 & stops+=($!)
  wait "${stops[@]}" || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
passed=0
pass() { passed=$((passed + 1)); echo "ok: $*"; }

# 1. Build: a layout image-sync reads, named acp/etcd-sync:<version>, reproducible.
expected_version=$("$etcd_sync" --version)
version=$(sed -E 's/^etcd-sync ([^ ]+) .*/\1/' <<< "$expected_version")
bash "$root/scripts/build-etcd-sync-image.sh" --binary "$etcd_sync" --out "$work/layout" \
  --source https://example.invalid/acp-global-tools > "$work/build.out" 2>&1 ||
  fail "build-etcd-sync-image.sh failed: $(cat "$work/build.out")"
name="acp/etcd-sync:$version"
built_digest=$(jq -r --arg name "$name" \
  '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $name) | .digest' \
  "$work/layout/index.json")
[ -n "$built_digest" ] || fail "index.json has no entry named $name: $(cat "$work/layout/index.json")"
bash "$root/scripts/build-etcd-sync-image.sh" --binary "$etcd_sync" --out "$work/again" \
  --source https://example.invalid/acp-global-tools > "$work/build.out" 2>&1 ||
  fail "second build failed: $(cat "$work/build.out")"
[ "$(jq -r '.manifests[0].digest' "$work/again/index.json")" = "$built_digest" ] ||
  fail "a second build of the same binary gave another digest (the layer is not reproducible)"
# Added into an existing bundle (the core package's images/), next to what is there.
jq '.manifests[0].annotations["org.opencontainers.image.ref.name"] = "other/image:1"' \
  "$work/again/index.json" > "$work/again/index.json.new" && mv "$work/again/index.json.new" "$work/again/index.json"
bash "$root/scripts/build-etcd-sync-image.sh" --binary "$etcd_sync" --out "$work/again" \
  --tag rebuilt > "$work/build.out" 2>&1 || fail "build into an existing layout failed: $(cat "$work/build.out")"
[ "$(jq -r '[.manifests[].annotations["org.opencontainers.image.ref.name"]] | sort | join(" ")' \
  "$work/again/index.json")" = "acp/etcd-sync:rebuilt other/image:1" ] ||
  fail "adding to an existing layout: $(cat "$work/again/index.json")"
pass "built $name ($built_digest), reproducibly, and into an existing layout"

# 2. Push with image-sync into a real registry; skopeo sees the same manifest.
registry=$(bash "$root/scripts/registry-server.sh" start "$work/servers" registry --owner-pid $$)
"$image_sync" --progress none --state-dir "" --bundle "$work/layout" --registry "$registry" --plain \
  > "$work/push.out" 2>&1 || fail "image-sync push failed: $(cat "$work/push.out")"
skopeo inspect --tls-verify=false "docker://$registry/$name" > "$work/inspect.json" ||
  fail "skopeo cannot read $registry/$name"
[ "$(jq -r .Digest "$work/inspect.json")" = "$built_digest" ] ||
  fail "the registry serves $(jq -r .Digest "$work/inspect.json"), built $built_digest"
skopeo inspect --tls-verify=false --config "docker://$registry/$name" > "$work/config.json"
check_config() {
  local got
  got=$(jq -r "$1" "$work/config.json")
  [ "$got" = "$2" ] || fail "image config $1 is \"$got\", expected \"$2\""
}
check_config '.architecture + "/" + .os' "amd64/linux"
check_config '.config.User' "65532:65532"
check_config '.config.Entrypoint | join(" ")' "/usr/local/bin/etcd-sync"
check_config '.config.Env | map(select(startswith("SSL_CERT_FILE="))) | join("")' \
  "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"
check_config '.config.Labels["org.opencontainers.image.version"]' "$version"
check_config '.config.Labels["org.opencontainers.image.revision"]' \
  "$(sed -E 's/.*\(commit ([^,]+),.*/\1/' <<< "$expected_version")"
check_config '.config.Labels["org.opencontainers.image.title"]' "etcd-sync"
check_config '.config.Labels["org.opencontainers.image.source"]' "https://example.invalid/acp-global-tools"
pass "pushed by image-sync; skopeo reads the same digest and the config (user, entrypoint, labels)"

# 3. Copy it back out (skopeo), unpack the layers in order, check the file tree.
skopeo copy --quiet --src-tls-verify=false "docker://$registry/$name" "oci:$work/copy:etcd-sync" ||
  fail "skopeo copy failed"
manifest=$(jq -r '.manifests[0].digest | sub("sha256:"; "")' "$work/copy/index.json")
mkdir "$work/rootfs"
for layer in $(jq -r '.layers[].digest | sub("sha256:"; "")' "$work/copy/blobs/sha256/$manifest"); do
  tar -xzf "$work/copy/blobs/sha256/$layer" -C "$work/rootfs" --numeric-owner
done
[ "$(stat -c %u:%g "$work/rootfs/home/nonroot")" = "65532:65532" ] || fail "/home/nonroot is not owned by 65532"
[ "$(stat -c %u:%g "$work/rootfs/usr/local/bin/etcd-sync")" = "0:0" ] || fail "the binary is not owned by root"
grep -q '^nonroot:x:65532:65532:' "$work/rootfs/etc/passwd" || fail "no nonroot user in /etc/passwd"
[ -s "$work/rootfs/etc/ssl/certs/ca-certificates.crt" ] || fail "no CA certificates"
[ "$(stat -c %a "$work/rootfs/tmp")" = 1777 ] || fail "/tmp is not 1777"
pass "unpacked: nonroot home 65532, files root-owned, CA certificates, /tmp"

# 4. Run it from its own root filesystem as the image's user.
got=$(chroot --userspec=65532:65532 "$work/rootfs" /usr/local/bin/etcd-sync --version 2>&1) ||
  fail "etcd-sync --version inside the image failed: $got"
[ "$got" = "$expected_version" ] || fail "inside the image: \"$got\", built: \"$expected_version\""
pass "chroot etcd-sync --version: $got"

# 5. A real replication from inside the image (gRPC, the monitor, /tmp spooling).
source_url=$(bash "$root/scripts/etcd-member.sh" start "$work/servers" source --owner-pid $$)
dest_url=$(bash "$root/scripts/etcd-member.sh" start "$work/servers" dest --owner-pid $$)
ETCDCTL_API=3 etcdctl --endpoints "$source_url" put /registry/configmaps/business/from-image hello >/dev/null
# shellcheck source=scripts/lib/ports.sh
. "$root/scripts/lib/ports.sh"
# free_port cannot reserve the port: a test running beside this one (ctest -j2) may take it
# between the pick and etcd-sync's bind. That one case ("cannot listen there") gets a new port,
# up to three times; any other exit fails the test.
for attempt in 1 2 3; do
  monitor_port=$(free_port)
  chroot --userspec=65532:65532 "$work/rootfs" /usr/local/bin/etcd-sync \
    --source-endpoints "$source_url" --dest-endpoints "$dest_url" \
    --monitor-listen "127.0.0.1:$monitor_port" --identity image-test > "$work/sync.log" 2>&1 &
  sync_pid=$!
  replicated=""
  retry_port=""
  for _ in $(seq 150); do
    replicated=$(ETCDCTL_API=3 etcdctl --endpoints "$dest_url" get --print-value-only \
      /registry/configmaps/business/from-image 2>/dev/null || true)
    [ "$replicated" != hello ] || break
    if ! kill -0 "$sync_pid" 2>/dev/null; then
      if [ "$attempt" -lt 3 ] && grep -q "cannot listen there" "$work/sync.log"; then
        retry_port=yes
        break
      fi
      fail "etcd-sync in the image exited: $(tail -5 "$work/sync.log")"
    fi
    sleep 0.1
  done
  [ -n "$retry_port" ] || break
done
[ "$replicated" = hello ] || fail "the key did not reach the destination in 15 s: $(tail -5 "$work/sync.log")"
metrics=$(curl -fsS "http://127.0.0.1:$monitor_port/metrics") || fail "no /metrics from the image"
grep -q '^etcd_sync_leader 1' <<< "$metrics" || fail "/metrics has no etcd_sync_leader 1"
pass "etcd-sync from the image replicates a key and serves /metrics"
echo "etcd-sync image: $passed passed, 0 failed"
