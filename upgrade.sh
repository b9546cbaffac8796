#!/usr/bin/env bash
# upgrade.sh — core package script. Implemented phase: image sync (--only-sync-image),
# a thin wrapper over the image-sync binary; upgrade trigger / CVO deploy come later.
#
#   bash upgrade.sh --only-sync-image[=true] [--registry <host:port>]
#        [--username <u> (--password <p> | --password-stdin) | --target-creds <base64 u:p>]
#        [--plain] [--insecure] [--ca-file <file>] [--bundle <dir>] [--parallel <n>]
#        [--chunk-size <MiB> [--state-dir <dir>]]   (resume an interrupted push; see README)
#
# Images are read from the OCI layout `images/` beside this script unless --bundle is
# given. Without --registry the registry comes from the config file ($UPGRADE_CONFIG,
# default upgrade.conf beside this script; a line `registry: host:port`).
# Exit codes: 0 done; 1 push failed or interrupted; 2 bad flags or configuration; 3 bundle missing,
# invalid or corrupt; 4 registry refused the credentials; 5 registry unreachable or TLS error.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { echo "upgrade.sh: $1" >&2; exit "${2:-2}"; }

only_sync=false registry="" username="" password="" password_stdin=false creds=""
bundle="$here/images" extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --only-sync-image|--only-sync-image=true) only_sync=true; shift ;;
    --only-sync-image=false) only_sync=false; shift ;;
    --registry|--username|--password|--target-creds|--ca-file|--bundle|--parallel|--chunk-size|--state-dir)
      [ $# -ge 2 ] || die "$1 needs a value"
      case "$1" in
        --registry) registry=$2 ;;
        --username) username=$2 ;;
        --password) password=$2 ;;
        --target-creds) creds=$2 ;;
        --bundle) bundle=$2 ;;
        *) extra+=("$1" "$2") ;;
      esac
      shift 2 ;;
    --registry=*|--username=*|--password=*|--target-creds=*|--bundle=*|--ca-file=*|--parallel=*|--chunk-size=*|--state-dir=*)
      set -- "${1%%=*}" "${1#*=}" "${@:2}" ;;
    --password-stdin) password_stdin=true; shift ;;
    --plain|--insecure|-v|--verbose) extra+=("$1"); shift ;;
    -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --skip-sync-image|--preflight|--cluster=*|--skip-check-artifacts)
      die "$1 is not implemented yet; only --only-sync-image is" ;;
    *) die "unknown flag $1 (see bash upgrade.sh --help)" ;;
  esac
done
$only_sync || die "nothing to do: pass --only-sync-image (the only phase implemented so far)"

if [ -z "$registry" ]; then
  config=${UPGRADE_CONFIG:-$here/upgrade.conf}
  [ -f "$config" ] || die "no --registry given and no config file $config (a line \`registry: host:port\`)"
  registry=$(sed -n 's/^registry:[[:space:]]*//p' "$config" | head -1 | tr -d '"'"'"' \r')
  [ -n "$registry" ] || die "$config has no \`registry: host:port\` line; pass --registry"
fi

if [ -n "$creds" ]; then
  [ -z "$username" ] || die "--target-creds and --username are alternatives; pass one"
  decoded=$(printf '%s' "$creds" | base64 -d 2>/dev/null) ||
    die "--target-creds is not base64 of user:password (make it with: printf %s user:password | base64 -w0)"
  case "$decoded" in
    ?*:?*) username=${decoded%%:*} password=${decoded#*:} ;;
    *) die "--target-creds is not base64 of user:password (make it with: printf %s user:password | base64 -w0)" ;;
  esac
fi
if [ -n "$password" ] || $password_stdin; then
  [ -n "$username" ] || die "a password was given without --username"
fi
if [ -n "$username" ] && [ -z "$password" ] && ! $password_stdin; then
  die "--username needs --password or --password-stdin"
fi
[ -d "$bundle" ] || die "image bundle $bundle not found — run from the extracted core package or pass --bundle <dir>" 3

bin=${IMAGE_SYNC_BIN:-}
if [ -z "$bin" ]; then
  for candidate in "$here/bin/image-sync" "$here/build/cmd/image-sync/image-sync" \
                   "$here/build-images/cmd/image-sync/image-sync" "$(command -v image-sync || true)"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then bin=$candidate; break; fi
  done
fi
[ -n "$bin" ] || die "image-sync binary not found beside upgrade.sh (bin/image-sync); set IMAGE_SYNC_BIN" 1

args=(--bundle "$bundle" --registry "$registry" "${extra[@]}")
if [ -n "$username" ]; then
  args+=(--username "$username" --password-stdin)
  # The password goes through a pipe: it never appears in image-sync's command line.
  if $password_stdin; then
    exec "$bin" "${args[@]}"
  fi
  exec "$bin" "${args[@]}" < <(printf '%s\n' "$password")
fi
exec "$bin" "${args[@]}"
