#!/usr/bin/env bash
# Writes the release.yaml of a sample core package (see src/upgrade/release_manifest.h) from a
# sample bundle's index.json: the bundle's first image plays the product image, the second the
# CVO image, the rest are listed under images.
#   scripts/make-sample-release.sh <bundle-dir> <version> [<release.yaml>, default: beside the bundle]
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 <bundle-dir> <version> [<release.yaml>]" >&2; exit 2; }
bundle=$1 version=$2 out=${3:-$(dirname "$1")/release.yaml}
[ -f "$bundle/index.json" ] || { echo "$bundle/index.json not found: make the bundle first (scripts/make-sample-bundle.sh)" >&2; exit 2; }
names() {  # the named entries of an index, descending into unnamed nested indexes
  local index=$1 digest
  jq -r '.manifests[].annotations["org.opencontainers.image.ref.name"] // empty' "$index"
  for digest in $(jq -r '.manifests[] | select((.annotations["org.opencontainers.image.ref.name"] // "") == "")
                         | select(.mediaType | test("index|list")) | .digest' "$index"); do
    names "$bundle/blobs/${digest%%:*}/${digest#*:}"
  done
}
mapfile -t images < <(names "$bundle/index.json" | sort -u)
[ ${#images[@]} -ge 2 ] || { echo "$bundle names fewer than 2 images" >&2; exit 2; }
{
  echo "version: $version"
  echo "productImage: ${images[0]}"
  echo "cvoImage: ${images[1]}"
  echo "images:"
  for image in "${images[@]:2}"; do echo "  - $image"; done
} > "$out"
echo "$out"
