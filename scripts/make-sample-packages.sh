#!/usr/bin/env bash
# Builds sample violet packages (see README "violet: package format") into <dir>: an operator
# bundle, a cluster plugin and a chart, each <name>.<version>.tgz with a .sha256 checksum and
# a .sig detached GPG signature made with a throwaway key exported as <dir>/violet-sample-key.asc.
#   scripts/make-sample-packages.sh <dir> [--version V] [--only bundle|plugin|chart] [--no-sign]
#                                         [--seed N]
# MAKE_SAMPLE_BUNDLE_BIN names the make-sample-bundle binary (default: the build dirs).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

out=${1:?usage: make-sample-packages.sh <dir> [--version V] [--only TYPE] [--no-sign] [--seed N]}
shift
version="" only="" sign=1 seed=1
while [ $# -gt 0 ]; do
  case $1 in
    --version) version=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --no-sign) sign=0; shift ;;
    --seed) seed=$2; shift 2 ;;
    *) echo "make-sample-packages: unknown argument $1" >&2; exit 2 ;;
  esac
done

bundle_bin=""
for bin in "${MAKE_SAMPLE_BUNDLE_BIN:-}" "$here/build/cmd/make-sample-bundle/make-sample-bundle" \
           "$here"/build-*/cmd/make-sample-bundle/make-sample-bundle; do
  if [ -n "$bin" ] && [ -x "$bin" ]; then bundle_bin=$bin; break; fi
done
[ -n "$bundle_bin" ] || { echo "make-sample-bundle not built: run bash scripts/build.sh first" >&2; exit 1; }

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
gnupg=""
cleanup() {
  [ -n "$gnupg" ] && GNUPGHOME=$gnupg gpgconf --kill all >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

if [ "$sign" = 1 ]; then
  gnupg=$work/gnupg
  mkdir -m 700 "$gnupg"
  GNUPGHOME=$gnupg gpg --batch --quiet --passphrase '' \
    --quick-gen-key 'violet sample packages <violet-sample@example.invalid>' ed25519 sign never 2>/dev/null
  GNUPGHOME=$gnupg gpg --batch --quiet --armor --export > "$out/violet-sample-key.asc"
fi

# make_package <type> <name> <display name> <version> <lifecycle> <seed>
make_package() {
  local type=$1 name=$2 display=$3 pkg_version=$4 lifecycle=$5 pkg_seed=$6
  local dir=$work/$name artifact related chart_line="" lifecycle_line=""
  rm -rf "$dir" && mkdir -p "$dir"
  "$bundle_bin" "$dir/images" --images 2 --shared-layers 1 --layers-per-image 1 \
    --shared-layer-mib 0.0625 --layer-mib 0.03125 --seed "$pkg_seed" --prefix "acp/$name" >/dev/null
  # index.json is the layout's root (not content-addressed): its ref.name annotations may be
  # renamed to the package's artifact and related image.
  case $type in
    bundle) artifact="acp/$name-bundle:$pkg_version" ;;
    plugin) artifact="acp/$name-plugin:$pkg_version" ;;
    chart) artifact="acp/chart-$name:$pkg_version" ;;
  esac
  related="acp/$name:$pkg_version"
  sed -i -e "s|\"acp/$name/component-0:v1\"|\"$artifact\"|" \
         -e "s|\"acp/$name/component-1:v1\"|\"$related\"|" "$dir/images/index.json"
  if [ "$type" != bundle ]; then
    mkdir -p "$dir/chart-src/$name"
    printf 'apiVersion: v2\nname: %s\nversion: %s\n' "$name" "${pkg_version#v}" > "$dir/chart-src/$name/Chart.yaml"
    mkdir -p "$dir/chart"
    tar czf "$dir/chart/$name-${pkg_version#v}.tgz" -C "$dir/chart-src" "$name"
    rm -rf "$dir/chart-src"
    chart_line="chart: chart/$name-${pkg_version#v}.tgz"
  fi
  [ -n "$lifecycle" ] && lifecycle_line="lifecycle: $lifecycle"
  cat > "$dir/package.yaml" <<YAML
formatVersion: 1
name: $name
displayName: $display
type: $type
version: $pkg_version
architectures: [linux/amd64, linux/arm64]
artifact: $artifact
relatedImages:
  - $related
$lifecycle_line
$chart_line
YAML
  local file=$name.$pkg_version.tgz
  (cd "$dir" && tar czf "$out/$file" package.yaml images $( [ -d chart ] && echo chart ))
  (cd "$out" && sha256sum "$file" > "$file.sha256")
  if [ "$sign" = 1 ]; then
    rm -f "$out/$file.sig"
    GNUPGHOME=$gnupg gpg --batch --quiet --detach-sign --output "$out/$file.sig" "$out/$file"
  fi
  echo "$out/$file"
}

if [ -z "$only" ] || [ "$only" = bundle ]; then
  make_package bundle topolvm-operator "Alauda Build of TopoLVM" "${version:-v2.3.0}" "" "$seed"
fi
if [ -z "$only" ] || [ "$only" = plugin ]; then
  make_package plugin cloudedge "Alauda Container Platform CloudEdge" "${version:-v0.3.16}" Aligned $((seed + 100))
fi
if [ -z "$only" ] || [ "$only" = chart ]; then
  make_package chart nfs "NFS provisioner" "${version:-v4.0.2}" "" $((seed + 200))
fi
