#!/usr/bin/env bash
# upgrade.sh's --min-speed, --stall-seconds and --request-timeout reach every step that talks
# to the registry: upgrade-core (its trigger's artifact check), and through it image-sync and
# violet push --skip-crs (plugins/*.tgz). Secrets never reach an argv on the way.
# Part 1: upgrade-core is a stub that records its argv and environment (no build needed).
# Part 2 (with $1 = the built upgrade-core): image-sync and violet are stubs that record
# argv, stdin and environment; the real upgrade-core runs them (no registry, no cluster).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
core_binary=${1:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/images" "$work/plugins"
: > "$work/plugins/p.tgz"
: > "$work/kubeconfig"
for name in image-sync violet upgrade-core; do
  cat > "$work/$name" <<STUB
#!/usr/bin/env bash
printf '%s\n' "\$@" > "$work/$name.argv"
env > "$work/$name.env"
if [ "\$(head -c 1 /dev/stdin | wc -c)" -gt 0 ]; then echo yes > "$work/$name.stdin"; fi
STUB
  chmod +x "$work/$name"
done

passed=0
fail() { echo "FAIL: $*" >&2; cat "$work/out" >&2; exit 1; }
run() {  # run <upgrade-core> <flags...>: upgrade.sh with the stub tools
  local core=$1
  shift
  rm -f "$work"/*.argv "$work"/*.env "$work"/*.stdin
  env IMAGE_SYNC_BIN="$work/image-sync" VIOLET_BIN="$work/violet" \
    UPGRADE_CORE_BIN="$core" UPGRADE_CONFIG="$work/none" \
    bash "$root/upgrade.sh" --registry reg.example:5000 --bundle "$work/images" \
    --plugins "$work/plugins" --kubeconfig "$work/kubeconfig" "$@" > "$work/out" 2>&1 < /dev/null ||
    fail "upgrade.sh $* exited $?"
}
expect() {  # expect <binary> <flag> <value>: "<flag>\n<value>" in its argv
  [ -f "$work/$1.argv" ] || fail "$1 was not run"
  grep -A1 -x -- "$2" "$work/$1.argv" | tail -1 | grep -qx -- "$3" ||
    fail "$1 did not get $2 $3: $(tr '\n' ' ' < "$work/$1.argv")"
}

# Part 1: upgrade.sh routes to upgrade-core, with the limits in both spellings.
for form in separate joined; do
  if [ $form = separate ]; then
    run "$work/upgrade-core" --min-speed 2048 --stall-seconds 7 --request-timeout 90
  else
    run "$work/upgrade-core" --min-speed=2048 --stall-seconds=7 --request-timeout=90
  fi
  expect upgrade-core --min-speed 2048
  expect upgrade-core --stall-seconds 7
  expect upgrade-core --request-timeout 90
  head -1 "$work/upgrade-core.argv" | grep -qx all || fail "upgrade-core: not the 'all' phase"
  passed=$((passed + 1))
done
run "$work/upgrade-core" --skip-sync-image
head -1 "$work/upgrade-core.argv" | grep -qx trigger || fail "--skip-sync-image: not trigger"
run "$work/upgrade-core" --only-sync-image=true
head -1 "$work/upgrade-core.argv" | grep -qx sync || fail "--only-sync-image=true: not sync"
run "$work/upgrade-core" --only-sync-image --only-sync-image=false
head -1 "$work/upgrade-core.argv" | grep -qx all || fail "--only-sync-image=false: not all"
passed=$((passed + 1))

# Secrets go to upgrade-core by environment, never in its argv.
run "$work/upgrade-core" --username u --password 'pw-by-flag' --platform-token 'tok-by-flag'
! grep -q 'pw-by-flag\|tok-by-flag' "$work/upgrade-core.argv" || fail "a secret in upgrade-core's argv"
grep -qx 'UPGRADE_REGISTRY_PASSWORD=pw-by-flag' "$work/upgrade-core.env" || fail "password not in env"
grep -qx 'ACP_PLATFORM_TOKEN=tok-by-flag' "$work/upgrade-core.env" || fail "token not in env"
run "$work/upgrade-core" --target-creds "$(printf %s 'u:pw-by-creds' | base64)"
! grep -q 'target-creds' "$work/upgrade-core.argv" || fail "--target-creds in upgrade-core's argv"
grep -q '^UPGRADE_TARGET_CREDS=' "$work/upgrade-core.env" || fail "--target-creds not in env"
passed=$((passed + 1))

# A missing value is refused by upgrade.sh itself (exit 2, one line).
code=0
bash "$root/upgrade.sh" --min-speed > "$work/out" 2>&1 || code=$?
[ $code -eq 2 ] && grep -q -- "--min-speed needs a value" "$work/out" || fail "missing value: exit $code"
passed=$((passed + 1))

if [ -n "$core_binary" ]; then
  # Part 2: the real upgrade-core hands the limits to image-sync and violet.
  for form in separate joined; do
    if [ $form = separate ]; then
      run "$core_binary" --only-sync-image --min-speed 2048 --stall-seconds 7 --request-timeout 90
    else
      run "$core_binary" --only-sync-image --min-speed=2048 --stall-seconds=7 --request-timeout=90
    fi
    for bin in image-sync violet; do
      expect $bin --min-speed 2048
      expect $bin --stall-seconds 7
      expect $bin --request-timeout 90
    done
    head -1 "$work/violet.argv" | grep -qx push || fail "violet: not push"
    passed=$((passed + 1))
  done
  # Without them, neither gets one (their own defaults apply).
  run "$core_binary" --only-sync-image
  ! grep -qx -- '--min-speed\|--stall-seconds\|--request-timeout' "$work"/*.argv ||
    fail "a transfer flag was passed though none was given"
  passed=$((passed + 1))

  # The password: on image-sync's stdin, in violet's environment; in no argv, and not in
  # the environment image-sync inherits (upgrade-core unsets what upgrade.sh gave it).
  run "$core_binary" --only-sync-image --username u --password 'pw-by-flag'
  ! grep -q 'pw-by-flag' "$work/image-sync.argv" "$work/violet.argv" || fail "password in argv"
  expect image-sync --username u
  grep -qx -- --password-stdin "$work/image-sync.argv" || fail "image-sync without --password-stdin"
  [ -f "$work/image-sync.stdin" ] || fail "image-sync got nothing on stdin"
  ! grep -q 'pw-by-flag' "$work/image-sync.env" || fail "the password in image-sync's environment"
  grep -qx 'VIOLET_REGISTRY_PASSWORD=pw-by-flag' "$work/violet.env" || fail "violet: no password"
  ! grep -q '^UPGRADE_REGISTRY_PASSWORD=' "$work/violet.env" || fail "violet inherited it"
  passed=$((passed + 1))
fi
echo "upgrade.sh transfer flags: $passed passed, 0 failed"
