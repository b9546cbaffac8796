#!/usr/bin/env bash
# --version of every binary and of upgrade.sh (run from a release layout: upgrade.sh with
# bin/upgrade-core beside it) prints "<tool> <version> (commit <sha>, built <date>)", all with
# the same version and commit; cmake/BuildInfo.cmake says "commit unknown" outside a git
# checkout and honours $SOURCE_DATE_EPOCH.
# usage: version_test.sh <ac> <etcd-sync> <etcd-workload> <image-sync> <make-sample-bundle>
#                        <slow-link-proxy> <upgrade-core> <violet>
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
pattern='^([a-z.-]+) ([0-9]+\.[0-9]+\.[0-9]+) \(commit ([0-9a-f]{40}|unknown), built ([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z|unknown)\)$'

first=""
check() {  # check <tool name> <line>
  [[ $2 =~ $pattern ]] || fail "$1 --version printed '$2'"
  [ "${BASH_REMATCH[1]}" = "$1" ] || fail "$1 --version names '${BASH_REMATCH[1]}': '$2'"
  local rest=${2#"$1 "}
  if [ -z "$first" ]; then first=$rest; fi
  [ "$rest" = "$first" ] || fail "$1 --version '$rest' differs from the others' '$first'"
  echo "ok: $2"
}
for binary in "$@"; do
  name=$(basename "$binary")
  line=$("$binary" --version) || fail "$name --version exited $?"
  check "$name" "$line"
done
[ $# -eq 8 ] || fail "expected the 8 binaries, got $#"

# upgrade.sh from a release directory: bin/upgrade-core beside it, no build tree.
mkdir -p "$work/release/bin"
cp "$root/upgrade.sh" "$work/release/upgrade.sh"
for binary in "$@"; do
  [ "$(basename "$binary")" != upgrade-core ] || cp "$binary" "$work/release/bin/upgrade-core"
done
line=$(env -u UPGRADE_CORE_BIN bash "$work/release/upgrade.sh" --version) ||
  fail "upgrade.sh --version exited $?"
check upgrade.sh "$line"

# The generator outside a git checkout (an unpacked tarball, even inside another repository).
mkdir -p "$work/outer/tarball"
git -C "$work/outer" init -q && git -C "$work/outer" -c user.name=t -c user.email=t@t \
  commit -q --allow-empty -m outer
render() {  # render <source dir>: the build_info.cpp the generator writes for it
  cmake -DSOURCE_DIR="$1" -DTEMPLATE="$root/src/cli/build_info.cpp.in" \
    -DOUTPUT="$work/build_info.cpp" -DBUILD_VERSION=9.8.7 -P "$root/cmake/BuildInfo.cmake" ||
    fail "cmake/BuildInfo.cmake failed for $1"
  cat "$work/build_info.cpp"
}
out=$(unset SOURCE_DATE_EPOCH; render "$work/outer/tarball")
grep -q 'BuildCommit() { return "unknown"; }' <<<"$out" || fail "no .git: commit is not unknown: $out"
grep -q 'BuildVersion() { return "9.8.7"; }' <<<"$out" || fail "version not passed through: $out"
echo "ok: outside a git checkout the commit is unknown"
out=$(export SOURCE_DATE_EPOCH=86400; render "$root")
grep -q 'BuildDate() { return "1970-01-02T00:00:00Z"; }' <<<"$out" ||
  fail "SOURCE_DATE_EPOCH=86400 not honoured: $out"
echo "ok: SOURCE_DATE_EPOCH sets the build date"
echo "PASS"
