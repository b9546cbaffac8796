#!/usr/bin/env bash
# Installs everything the project needs to build, test and benchmark, from Debian 12's
# archive only. Quick when everything is already there.
set -euo pipefail

packages=(
  # toolchain; clang + its runtimes for the ASan/UBSan unit tests and the libFuzzer targets
  build-essential cmake pkg-config git clang-format clang libclang-rt-14-dev
  # etcd v3 API: gRPC/protobuf and the official .proto files
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  golang-etcd-server-dev golang-github-gogo-protobuf-dev
  golang-github-grpc-ecosystem-grpc-gateway-dev
  # libraries
  libcurl4-openssl-dev libcpp-httplib-dev nlohmann-json3-dev libsimdjson-dev libyaml-cpp-dev libcli11-dev
  libspdlog-dev libfmt-dev libssl-dev libgtest-dev libgmock-dev libbenchmark-dev
  # real servers and reference tools for tests and benchmarks
  etcd-server etcd-client openssl procps curl bc
  # image sync: a real registry, an independent client, bcrypt htpasswd for Basic auth
  docker-registry skopeo apache2-utils zlib1g-dev bc
  # violet: package archives (.tgz) and GPG signature checks
  libarchive-dev libgpgme-dev gnupg
  # the etcd-sync image (scripts/build-etcd-sync-image.sh) and its deployment's checks
  # (promtool from prometheus)
  jq ca-certificates binutils prometheus
  # `ac console`'s browser tests (tests/browser): Debian's Chromium, driven headless by
  # playwright-core from web/package-lock.json
  chromium
)
# `ac console`'s pages (web/): uPlot and playwright-core come from npm (`npm ci` below, pinned
# by web/package-lock.json); Node.js and npm from Debian where the machine has none.
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
# `kubectl kustomize deploy/etcd-sync` in the tests: Debian's kubectl 1.20 unless a kubectl
# is already there (upstream's package ships the same /usr/bin/kubectl).
command -v kubectl >/dev/null || packages+=(kubernetes-client)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || {
    [ ${#missing[@]} -eq 0 ] && [ -x /opt/kubectl-1.20/usr/bin/kubectl ] && exit 0
    echo "install-deps: run as root (or install sudo) to install: ${missing[*]} (and kubectl 1.20 into /opt/kubectl-1.20)" >&2
    exit 1
  }
  sudo=sudo
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The kubectl tests run once more with kubectl 1.20 (Debian 12's kubernetes-client, the oldest
# operators have) when it is at /opt/kubectl-1.20 (tests/CMakeLists.txt). When the kubectl on
# the PATH is not that package, unpack the package there, leaving /usr/bin/kubectl alone.
if [ ! -x /opt/kubectl-1.20/usr/bin/kubectl ] &&
  ! dpkg-query -W -f='${Status}' kubernetes-client 2>/dev/null | grep -q "install ok installed"; then
  download=$(mktemp -d)
  trap 'rm -rf "$download"' EXIT
  echo "install-deps: unpacking Debian's kubernetes-client (kubectl 1.20) into /opt/kubectl-1.20" >&2
  (cd "$download" && chmod 755 . && { apt-get download -qq kubernetes-client 2>/dev/null ||
    { $sudo apt-get update -qq && apt-get download -qq kubernetes-client; }; })
  $sudo dpkg -x "$download"/kubernetes-client_*.deb /opt/kubectl-1.20
fi

# web/node_modules for the console (uPlot embedded by the build; playwright-core for the
# browser tests), exactly as the lock file says; again only when the lock file changed.
root=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -f "$root/web/node_modules/.package-lock.json" ] ||
  [ "$root/web/package-lock.json" -nt "$root/web/node_modules/.package-lock.json" ]; then
  echo "install-deps: npm ci in web/ (uPlot, playwright-core)" >&2
  (cd "$root/web" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
