#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds, and runs every test (unit tests, then the
# integration tests that start real etcd servers on 127.0.0.1).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
cd "$root/build"
ctest --output-on-failure --timeout 300 "$@"
