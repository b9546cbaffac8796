#!/usr/bin/env bash
# upgrade.sh's flag table is the one list: every flag it passes on ("core" rows) is one that
# upgrade-core takes, every row is in --help, and every value flag is refused without its
# value (exit 2, one line). $1: the built upgrade-core.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
core=${1:?usage: upgrade_sh_flag_table_test.sh <upgrade-core binary>}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

sed -n "/<<'TABLE'/,/^TABLE$/p" "$root/upgrade.sh" | sed '1d;$d' | grep -v '^#' > "$work/table"
[ "$(wc -l < "$work/table")" -gt 30 ] || fail "the flag table was not found in upgrade.sh"
{ "$core" --help; for phase in preflight sync trigger all; do "$core" "$phase" --help; done; } \
  > "$work/core-help"
bash "$root/upgrade.sh" --help > "$work/help"

checked=0
while read -r names value route _; do
  for name in ${names//|/ }; do
    grep -qE -- "(^|[ ,])$name([ ,]|$)" "$work/help" || fail "$name is not in upgrade.sh --help"
    if [ "$route" = core ]; then
      grep -qE -- "(^|[ ,])$name([ ,]|$)" "$work/core-help" || fail "upgrade-core does not take $name"
    fi
    if [ "$value" != - ]; then
      code=0
      out=$(bash "$root/upgrade.sh" "$name" 2>&1) || code=$?
      [ $code -eq 2 ] && [ "$out" = "upgrade.sh: $name needs a value" ] ||
        fail "$name without a value: exit $code: $out"
    fi
    checked=$((checked + 1))
  done
done < "$work/table"
echo "upgrade.sh flag table: $checked flags checked, 0 failed"
