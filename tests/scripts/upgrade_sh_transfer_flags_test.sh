#!/usr/bin/env bash
# upgrade.sh's --min-speed, --stall-seconds and --request-timeout reach every step that talks
# to the registry: image-sync, violet push --skip-crs (plugins/*.tgz) and upgrade-core trigger.
# The three binaries are stubs that record their argv, so no build, registry or cluster is needed.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/images" "$work/plugins"
: > "$work/plugins/p.tgz"
: > "$work/kubeconfig"
for name in image-sync violet upgrade-core; do
  cat > "$work/$name" <<STUB
#!/usr/bin/env bash
printf '%s\n' "\$@" > "$work/$name.argv"
STUB
  chmod +x "$work/$name"
done

passed=0
fail() { echo "FAIL: $*" >&2; cat "$work/out" >&2; exit 1; }
run() {  # run <flags...>: the whole flow (sync, plugins, trigger) with the stubs
  rm -f "$work"/*.argv
  env IMAGE_SYNC_BIN="$work/image-sync" VIOLET_BIN="$work/violet" \
    UPGRADE_CORE_BIN="$work/upgrade-core" UPGRADE_CONFIG="$work/none" \
    bash "$root/upgrade.sh" --registry reg.example:5000 --bundle "$work/images" \
    --plugins "$work/plugins" --kubeconfig "$work/kubeconfig" "$@" > "$work/out" 2>&1 ||
    fail "upgrade.sh $* exited $?"
}
expect() {  # expect <binary> <flag> <value>: "<flag>\n<value>" in its argv
  [ -f "$work/$1.argv" ] || fail "$1 was not run"
  grep -A1 -x -- "$2" "$work/$1.argv" | tail -1 | grep -qx -- "$3" ||
    fail "$1 did not get $2 $3: $(tr '\n' ' ' < "$work/$1.argv")"
}

for form in separate joined; do
  if [ $form = separate ]; then
    run --min-speed 2048 --stall-seconds 7 --request-timeout 90
  else
    run --min-speed=2048 --stall-seconds=7 --request-timeout=90
  fi
  for bin in image-sync violet upgrade-core; do
    expect $bin --min-speed 2048
    expect $bin --stall-seconds 7
    expect $bin --request-timeout 90
  done
  head -1 "$work/violet.argv" | grep -qx push || fail "violet: not push"
  grep -qx trigger "$work/upgrade-core.argv" || fail "upgrade-core: not trigger"
  passed=$((passed + 1))
done

# Without them, none of the binaries gets one (their own defaults apply).
run
! grep -qx -- '--min-speed\|--stall-seconds\|--request-timeout' "$work"/*.argv ||
  fail "a transfer flag was passed though none was given"
passed=$((passed + 1))

# A missing value is refused by upgrade.sh itself (exit 2, one line).
code=0
bash "$root/upgrade.sh" --min-speed > "$work/out" 2>&1 || code=$?
[ $code -eq 2 ] && grep -q -- "--min-speed needs a value" "$work/out" || fail "missing value: exit $code"
passed=$((passed + 1))
echo "upgrade.sh transfer flags: $passed passed, 0 failed"
