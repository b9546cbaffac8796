#!/usr/bin/env bash
# --log-format json: every line a tool writes to stderr is one JSON object {ts (RFC 3339, ms),
# level, logger, msg}, whatever the message quotes (quotes, backslashes, control characters
# from an auth file); etcd-sync also takes log-format from its YAML --config.
# usage: json_logs_test.sh <image-sync> <make-sample-bundle> <etcd-sync> <violet>
set -euo pipefail
image_sync=$1 make_sample_bundle=$2 etcd_sync=$3 violet=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v jq >/dev/null || fail "jq not found (apt-get install jq)"

json_lines() {  # json_lines <file> <logger> <at least N lines>: each line a log object
  local n=0 line
  while IFS= read -r line; do
    n=$((n + 1))
    jq -e --arg logger "$2" '
        type == "object" and (keys | sort) == ["level", "logger", "msg", "ts"] and
        (.ts | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$")) and
        .logger == $logger and (.msg | type == "string")' <<<"$line" >/dev/null ||
      fail "line $n of $2's stderr is not a JSON log object: $line"
  done <"$1"
  [ "$n" -ge "$3" ] || fail "$2 wrote $n lines, expected at least $3: $(cat "$1")"
}

"$make_sample_bundle" "$work/bundle" --images 1 >/dev/null
# A user name with a quote, a backslash and a control character, logged by "using the
# credentials of user ..."; then the registry is unreachable (exit 5, one error line).
auth=$(printf 'a"b\\c\001d:secret' | base64 -w0)
printf '{"auths":{"127.0.0.1:1":{"auth":"%s"}}}' "$auth" >"$work/auth.json"
set +e
"$image_sync" --bundle "$work/bundle" --registry 127.0.0.1:1 --retries 1 -v \
  --authfile "$work/auth.json" --log-format json >"$work/out" 2>"$work/err"
code=$?
set -e
[ "$code" -eq 5 ] || fail "image-sync exited $code, expected 5: $(cat "$work/err")"
json_lines "$work/err" image-sync 2
jq -e -s 'map(select(.level == "info" and (.msg | contains("a\"b\\c")))) | length == 1' \
  "$work/err" >/dev/null || fail "the credentials line lost its quote or backslash: $(cat "$work/err")"
jq -e -s '.[-1].level == "error" and (.[-1].msg | contains("unreachable"))' "$work/err" \
  >/dev/null || fail "the last line is not the error: $(cat "$work/err")"
grep -q secret "$work/err" && fail "the password reached the log"
echo "ok: image-sync --log-format json ($(wc -l <"$work/err") lines)"

# A usage error before the logs start (bad flag) is a JSON line too.
set +e
"$image_sync" --log-format json --bundle "$work/bundle" --registry r:5000 --no-such-flag \
  >/dev/null 2>"$work/err"
code=$?
set -e
[ "$code" -eq 2 ] || fail "bad flag: exit $code, expected 2"
json_lines "$work/err" image-sync 1
echo "ok: a bad flag under --log-format json"

# etcd-sync: log-format from the YAML --config, then a configuration error (exit 2).
printf 'log-format: json\nsource-endpoints: "http://"\ndest-endpoints: 127.0.0.1:1\n' \
  >"$work/etcd-sync.yaml"
set +e
"$etcd_sync" --config "$work/etcd-sync.yaml" --monitor-listen "" >/dev/null 2>"$work/err"
code=$?
set -e
[ "$code" -eq 2 ] || fail "etcd-sync exited $code, expected 2: $(cat "$work/err")"
json_lines "$work/err" etcd-sync 1
echo "ok: etcd-sync log-format from --config"

# violet: a line its engine reports (verify's WARNING for an unsigned package accepted with
# --allow-unsigned) and a failed push's last line are JSON too; stdout stays the summary.
mkdir "$work/packages" "$work/keyring"
echo not-a-real-package >"$work/packages/unsigned.tgz"
"$violet" verify "$work/packages" --keyring "$work/keyring" --allow-unsigned --log-format json \
  >"$work/out" 2>"$work/err" || true
grep -q "Verification Summary" "$work/out" || fail "violet verify printed no summary: $(cat "$work/out")"
json_lines "$work/err" violet 1
grep -q 'WARNING: unsigned.tgz: not signed' "$work/err" || fail "no WARNING line: $(cat "$work/err")"
set +e
"$violet" push "$work/packages" --dest-repo 127.0.0.1:1 --no-auth --plain --skip-crs \
  --skip-verify --log-format json >/dev/null 2>"$work/err"
code=$?
set -e
[ "$code" -ne 0 ] || fail "violet push to 127.0.0.1:1 succeeded"
json_lines "$work/err" violet 1
echo "ok: violet --log-format json"
echo PASS
