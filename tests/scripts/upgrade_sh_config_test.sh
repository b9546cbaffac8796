#!/usr/bin/env bash
# upgrade.conf with odd content, as upgrade.sh reads it when no --registry is given and no
# cluster is configured: quotes, CRLF, comments are handled; a URL, an oversized file and a
# FIFO are refused with one line naming the file (exit 2) and nothing is pushed.
# $1: the built upgrade-core; image-sync is a stub that records its argv.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
core=${1:?usage: upgrade_sh_config_test.sh <upgrade-core binary>}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/images" "$work/home"
cat > "$work/image-sync" <<STUB
#!/usr/bin/env bash
printf '%s\n' "\$@" > "$work/image-sync.argv"
STUB
chmod +x "$work/image-sync"

passed=0
fail() { echo "FAIL: $*" >&2; cat "$work/out" >&2; exit 1; }
run() {  # run <config file>: sets code; output in $work/out
  rm -f "$work/image-sync.argv"
  code=0
  timeout 20 env -u KUBECONFIG HOME="$work/home" IMAGE_SYNC_BIN="$work/image-sync" \
    UPGRADE_CORE_BIN="$core" UPGRADE_CONFIG="$1" \
    bash "$root/upgrade.sh" --only-sync-image --bundle "$work/images" --plugins "$work/none" \
    > "$work/out" 2>&1 < /dev/null || code=$?
}
handled() {  # handled <content (printf format)>: image-sync gets --registry reg.example:5000
  printf "$1" > "$work/upgrade.conf"
  run "$work/upgrade.conf"
  [ $code -eq 0 ] || fail "exit $code for $(printf %q "$1")"
  grep -A1 -x -- --registry "$work/image-sync.argv" | tail -1 | grep -qx 'reg.example:5000' ||
    fail "image-sync got $(tr '\n' ' ' < "$work/image-sync.argv") for $(printf %q "$1")"
  grep -qx "upgrade.sh: registry reg.example:5000 (from $work/upgrade.conf)" "$work/out" ||
    fail "where the registry came from is not shown"
  passed=$((passed + 1))
}
refused() {  # refused <file> <text the one line has>
  run "$1"
  [ $code -eq 2 ] || fail "exit $code, expected 2 ($2)"
  [ "$(wc -l < "$work/out")" -eq 1 ] || fail "not one line ($2)"
  grep -qF -- "$1" "$work/out" || fail "the file is not named ($2)"
  grep -qF -- "$2" "$work/out" || fail "no '$2'"
  [ ! -f "$work/image-sync.argv" ] || fail "image-sync ran ($2)"
  passed=$((passed + 1))
}

handled 'registry: reg.example:5000\n'
handled 'registry: "reg.example:5000"\r\n'
handled "# written by the installer\r\nregistry: 'reg.example:5000'   # the mirror\r\n"
handled 'other: 1\nregistry:\treg.example:5000 # comment\n'

printf 'registry: https://reg.example:5000\n' > "$work/url.conf"
refused "$work/url.conf" "has a scheme; write host[:port]"
printf 'registry: reg.example:5000 extra words\n' > "$work/words.conf"
refused "$work/words.conf" "is not host[:port]"
printf 'registry: a.example\nregistry: b.example\n' > "$work/two.conf"
refused "$work/two.conf" "lines 1 and 2 name different registries"
{ printf 'registry: reg.example:5000\n'; head -c 200000 /dev/zero | tr '\0' '#'; } > "$work/big.conf"
refused "$work/big.conf" "more than the 65536 it may have"
mkfifo "$work/fifo.conf"
refused "$work/fifo.conf" "is a FIFO, not a regular file"
printf 'nothing: here\n' > "$work/empty.conf"
refused "$work/empty.conf" "has no \`registry: host:port\` line"
refused "$work/missing.conf" "no config file $work/missing.conf"
echo "upgrade.sh config file: $passed passed, 0 failed"
