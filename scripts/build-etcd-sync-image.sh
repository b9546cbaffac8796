#!/usr/bin/env bash
# Builds the etcd-sync container image from the build output, without a container engine:
# an OCI image layout (oci-layout, index.json, blobs/sha256/...) holding one image, named
# <repository>:<tag> by index.json's org.opencontainers.image.ref.name, which is how
# image-sync (and so `upgrade.sh --only-sync-image`) names what it pushes.
#
#   bash scripts/build-etcd-sync-image.sh [--out DIR] [--tag TAG] [--binary PATH]
#                                         [--repository REPO] [--source URL] [--no-strip]
#
#   --out DIR         layout to write (default build/images). If DIR already is an OCI
#                     layout (e.g. the core package's images/ bundle) the image is added to
#                     it, replacing an entry of the same name; else DIR is created.
#   --tag TAG         image tag (default: the version `etcd-sync --version` prints)
#   --binary PATH     etcd-sync to ship (default build/cmd/etcd-sync/etcd-sync)
#   --repository REPO repository the image is named and pushed as (default acp/etcd-sync)
#   --source URL      org.opencontainers.image.source label (default: git remote origin;
#                     left out when there is none)
#   --no-strip        ship the binary with its debug sections (about 4x larger)
#
# The one layer holds the binary at /usr/local/bin/etcd-sync, exactly the shared libraries
# `ldd` lists for it (with the symlink names and merged-/usr links the build host has, and
# the dynamic loader), /etc/ssl/certs/ca-certificates.crt (package ca-certificates),
# /etc/passwd and /etc/group with root and nonroot (65532), /etc/nsswitch.conf, /home/nonroot
# (owned 65532) and /tmp (1777). The image runs as 65532:65532. The layer is reproducible:
# sorted entries, mtime = the commit date (or $SOURCE_DATE_EPOCH), numeric owners, gzip -n.
# Needs bash, coreutils, GNU tar, gzip, jq, ldd (libc-bin), objcopy (binutils) unless
# --no-strip; prints the image's name and manifest digest.
set -euo pipefail

die() { echo "build-etcd-sync-image: $*" >&2; exit "${2:-1}"; }
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/build/images" tag="" binary="$root/build/cmd/etcd-sync/etcd-sync"
repository="acp/etcd-sync" source_url="" source_set=false strip=true
while [ $# -gt 0 ]; do
  case "$1" in
    --out|--tag|--binary|--repository|--source)
      [ $# -ge 2 ] || die "$1 needs a value" 2 ;;&
    --out) out=$2; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    --binary) binary=$2; shift 2 ;;
    --repository) repository=$2; shift 2 ;;
    --source) source_url=$2; source_set=true; shift 2 ;;
    --no-strip) strip=false; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" 2 ;;
  esac
done

for tool in jq tar gzip sha256sum ldd; do
  command -v "$tool" >/dev/null || die "$tool not found: bash scripts/install-deps.sh" 2
done
! $strip || command -v objcopy >/dev/null || die "objcopy not found (package binutils), or pass --no-strip" 2
[ -x "$binary" ] || die "$binary is not an executable: build it first (cmake --build build --target etcd-sync)" 2
certs=/etc/ssl/certs/ca-certificates.crt
[ -s "$certs" ] || die "$certs missing: apt-get install ca-certificates" 2
[[ "$repository" =~ ^[a-z0-9]+([._-]+[a-z0-9]+)*(/[a-z0-9]+([._-]+[a-z0-9]+)*)*$ ]] ||
  die "--repository $repository is not a valid repository path (lowercase, e.g. acp/etcd-sync)" 2

# Version and commit come from the binary itself, so the labels describe what is shipped.
version_line=$("$binary" --version) || die "$binary --version failed"
if [[ ! "$version_line" =~ ^etcd-sync\ ([^ ]+)\ \(commit\ ([^,]+),\ built\ ([^\)]+)\)$ ]]; then
  die "unexpected \`$binary --version\` output: $version_line"
fi
version=${BASH_REMATCH[1]} revision=${BASH_REMATCH[2]} built=${BASH_REMATCH[3]}
[ -n "$tag" ] || tag=$version
[[ "$tag" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "--tag $tag is not a valid image tag" 2
if head=$(git -C "$root" rev-parse HEAD 2>/dev/null) && [ "$head" != "$revision" ]; then
  echo "build-etcd-sync-image: warning: $binary was built from commit $revision, the checkout is at $head" >&2
fi
if ! $source_set; then source_url=$(git -C "$root" remote get-url origin 2>/dev/null || true); fi
if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
  epoch=$SOURCE_DATE_EPOCH
else
  epoch=$(date -u -d "$built" +%s 2>/dev/null) || epoch=0
fi
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)

work=$(mktemp -d "${TMPDIR:-/tmp}/etcd-sync-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
mkdir -m 0755 "$rootfs"

# Copies an absolute path into the rootfs component by component, recreating every
# symlink on the way (/lib -> usr/lib, libfoo.so.1 -> libfoo.so.1.2.3), so the image
# resolves the same names the build host does.
copy_path() {
  local path=$1 hops=0 prefix="" rest component next target
  while :; do
    rest=${path#/} prefix=""
    while [ -n "$rest" ]; do
      component=${rest%%/*}
      if [ "$component" = "$rest" ]; then rest=""; else rest=${rest#*/}; fi
      next="$prefix/$component"
      if [ -L "$next" ]; then
        target=$(readlink "$next")
        [ -e "$rootfs$next" ] || [ -L "$rootfs$next" ] || ln -s "$target" "$rootfs$next"
        case "$target" in
          /*) path=$target ;;
          *) path="${prefix:-}/$target" ;;
        esac
        [ -z "$rest" ] || path="$path/$rest"
        hops=$((hops + 1))
        [ "$hops" -lt 40 ] || die "too many symlinks resolving $1"
        continue 2
      elif [ -d "$next" ]; then
        [ -d "$rootfs$next" ] || mkdir -m 0755 "$rootfs$next"
      else
        [ -z "$rest" ] || die "$next is not a directory"
        [ -e "$rootfs$next" ] || cp "$next" "$rootfs$next"
        chmod u+rw,go+r,go-w "$rootfs$next"
      fi
      prefix=$next
    done
    return 0
  done
}

# ldd lists the whole closure (the libraries of the libraries too) and the loader.
ldd_out=$(ldd "$binary") || die "ldd $binary failed"
if grep -q "not found" <<< "$ldd_out"; then
  die "ldd $binary: a library is not found on this host: $(grep -m1 "not found" <<< "$ldd_out")"
fi
libraries=$(awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' <<< "$ldd_out")
interpreter=$(awk '$1 ~ /^\// {print $1; exit}' <<< "$ldd_out")
[ -n "$interpreter" ] || die "ldd $binary names no dynamic loader (a static binary needs no libraries; ship it another way)"
for library in $libraries; do copy_path "$library"; done
chmod 0755 "$rootfs$(readlink -f "$interpreter")"

mkdir -p -m 0755 "$rootfs/usr/local/bin" "$rootfs/etc/ssl/certs" "$rootfs/home"
if $strip; then
  objcopy --strip-debug "$binary" "$rootfs/usr/local/bin/etcd-sync"
else
  cp "$binary" "$rootfs/usr/local/bin/etcd-sync"
fi
chmod 0755 "$rootfs/usr/local/bin/etcd-sync"
install -m 0644 "$certs" "$rootfs/etc/ssl/certs/ca-certificates.crt"
printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' \
  'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' > "$rootfs/etc/passwd"
printf '%s\n' 'root:x:0:' 'nonroot:x:65532:' > "$rootfs/etc/group"
printf '%s\n' 'passwd: files' 'group: files' 'hosts: files dns' > "$rootfs/etc/nsswitch.conf"
chmod 0644 "$rootfs/etc/passwd" "$rootfs/etc/group" "$rootfs/etc/nsswitch.conf"
mkdir -m 0700 "$rootfs/home/nonroot"
mkdir "$rootfs/tmp" && chmod 1777 "$rootfs/tmp"
find "$rootfs" -type d ! -path "$rootfs/tmp" ! -path "$rootfs/home/nonroot" -exec chmod 0755 {} +

# The layer: everything as 0:0 in sorted order, then the nonroot home as 65532:65532.
tar_flags=(--format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime
           --mtime="@$epoch" --numeric-owner --no-recursion)
(cd "$rootfs" && find . -mindepth 1 ! -path ./home/nonroot | LC_ALL=C sort) > "$work/entries"
tar -C "$rootfs" -cf "$work/layer.tar" "${tar_flags[@]}" --owner=0 --group=0 -T "$work/entries"
tar -C "$rootfs" -rf "$work/layer.tar" "${tar_flags[@]}" --owner=65532 --group=65532 ./home/nonroot
diff_id=$(sha256sum < "$work/layer.tar" | cut -d' ' -f1)
gzip -n -6 < "$work/layer.tar" > "$work/layer.tar.gz"

mkdir -p "$work/blobs/sha256"
# put_blob FILE: stores FILE by its digest; prints "<hex> <size>".
put_blob() {
  local hex size
  hex=$(sha256sum < "$1" | cut -d' ' -f1)
  size=$(stat -c %s "$1")
  mv "$1" "$work/blobs/sha256/$hex"
  echo "$hex $size"
}
read -r layer_hex layer_size < <(put_blob "$work/layer.tar.gz")

labels=$(jq -cnS --arg version "$version" --arg revision "$revision" --arg created "$created" \
  --arg source "$source_url" '{
    "org.opencontainers.image.title": "etcd-sync",
    "org.opencontainers.image.description": "one-way replication of the primary global cluster etcd into the standby",
    "org.opencontainers.image.version": $version,
    "org.opencontainers.image.revision": $revision,
    "org.opencontainers.image.created": $created}
    + (if $source == "" then {} else {"org.opencontainers.image.source": $source} end)')
jq -cnS --argjson labels "$labels" --arg created "$created" --arg diff_id "sha256:$diff_id" '{
  architecture: "amd64", os: "linux", created: $created,
  config: {
    User: "65532:65532",
    Entrypoint: ["/usr/local/bin/etcd-sync"],
    Env: ["PATH=/usr/local/bin:/usr/bin:/bin",
          "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"],
    WorkingDir: "/",
    Labels: $labels},
  rootfs: {type: "layers", diff_ids: [$diff_id]},
  history: [{created: $created, created_by: "scripts/build-etcd-sync-image.sh"}]}' \
  | tr -d '\n' > "$work/config.json"
read -r config_hex config_size < <(put_blob "$work/config.json")
jq -cnS --argjson labels "$labels" --arg config "sha256:$config_hex" --argjson config_size "$config_size" \
  --arg layer "sha256:$layer_hex" --argjson layer_size "$layer_size" '{
  schemaVersion: 2,
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $config, size: $config_size},
  layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $layer, size: $layer_size}],
  annotations: $labels}' | tr -d '\n' > "$work/manifest.json"
read -r manifest_hex manifest_size < <(put_blob "$work/manifest.json")

name="$repository:$tag"
entry=$(jq -cnS --arg digest "sha256:$manifest_hex" --argjson size "$manifest_size" --arg name "$name" '{
  mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $digest, size: $size,
  platform: {architecture: "amd64", os: "linux"},
  annotations: {"org.opencontainers.image.ref.name": $name}}')

# Into the layout: blobs first (content-addressed, each renamed into place whole), then
# index.json replaced atomically, so an interrupted run leaves the old index intact.
if [ -f "$out/oci-layout" ] && [ -f "$out/index.json" ]; then
  jq -e '.manifests | type == "array"' "$out/index.json" >/dev/null 2>&1 ||
    die "$out/index.json is not an OCI index; pass another --out" 3
  index_in="$out/index.json"
elif [ -e "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
  die "$out exists and is not an OCI image layout; pass an empty or new --out" 2
else
  mkdir -p "$out"
  printf '{"imageLayoutVersion":"1.0.0"}' > "$out/oci-layout"
  index_in=/dev/null
fi
mkdir -p "$out/blobs/sha256"
for blob in "$work"/blobs/sha256/*; do
  hex=${blob##*/}
  if [ ! -f "$out/blobs/sha256/$hex" ]; then
    cp "$blob" "$out/blobs/sha256/.$hex.partial" && mv "$out/blobs/sha256/.$hex.partial" "$out/blobs/sha256/$hex"
  fi
done
if [ "$index_in" = /dev/null ]; then
  jq -cnS --argjson entry "$entry" \
    '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [$entry]}'
else
  jq -cS --argjson entry "$entry" --arg name "$name" \
    '.manifests |= (map(select(.annotations["org.opencontainers.image.ref.name"] != $name)) + [$entry])' \
    "$index_in"
fi > "$out/.index.json.partial"
mv "$out/.index.json.partial" "$out/index.json"
echo "$name sha256:$manifest_hex ($((layer_size / 1024 / 1024)) MiB layer) in $out"
