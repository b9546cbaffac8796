#!/usr/bin/env bash
# upgrade.sh must not write to a predictable name in $TMPDIR: a link planted there by
# another user at the name the old code used (upgrade.sh.<pid>.err) must stay untouched,
# and nothing may be left behind. upgrade-core is replaced by a stub that fails the way an
# unreachable cluster does, so no build and no cluster are needed.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/tmp"
printf 'precious\n' > "$work/victim"
cat > "$work/upgrade-core" <<'STUB'
#!/usr/bin/env bash
echo "upgrade-core: cluster unreachable (stub)" >&2
exit 6
STUB
chmod +x "$work/upgrade-core"
mkfifo "$work/go"

# Start upgrade.sh held at a FIFO, so its PID is known before it runs; plant the link.
(
  read -r _ < "$work/go"
  exec env TMPDIR="$work/tmp" UPGRADE_CORE_BIN="$work/upgrade-core" UPGRADE_CONFIG="$work/none" \
    bash "$root/upgrade.sh" --kubeconfig "$work/kubeconfig" --only-sync-image
) > "$work/out" 2>&1 &
pid=$!
ln -s "$work/victim" "$work/tmp/upgrade.sh.$pid.err"
echo go > "$work/go"
code=0
wait "$pid" || code=$?

fail() { echo "FAIL: $*" >&2; cat "$work/out" >&2; exit 1; }
[ "$code" -eq 6 ] || fail "exit code $code, expected 6 (cluster unreachable)"
grep -q "cluster unreachable (stub)" "$work/out" || fail "the cause is not shown"
[ "$(cat "$work/victim")" = precious ] || fail "the planted link was followed: victim overwritten"
left=$(find "$work/tmp" -mindepth 1 ! -name "upgrade.sh.$pid.err")
[ -z "$left" ] || fail "left behind in TMPDIR: $left"
echo "upgrade.sh temp files: 1 passed, 0 failed"
