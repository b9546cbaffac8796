#!/usr/bin/env bash
# Writes a sample OCI-layout bundle (see src/bundle/sample_bundle.h) for the quickstart and
# manual tests: scripts/make-sample-bundle.sh <dir> [make-sample-bundle flags, e.g. --images 30]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
for bin in "${MAKE_SAMPLE_BUNDLE_BIN:-}" "$here/build/cmd/make-sample-bundle/make-sample-bundle" \
           "$here/build-images/cmd/make-sample-bundle/make-sample-bundle"; do
  if [ -n "$bin" ] && [ -x "$bin" ]; then exec "$bin" "$@"; fi
done
echo "make-sample-bundle not built: run bash scripts/build.sh first" >&2
exit 1
