#!/usr/bin/env bash
# upgrade.sh — the core package's script: image sync (image-sync), then the cluster phases
# (upgrade-core): registry resolution, preflight, and the upgrade trigger (ProductManifest + CVO).
#
#   bash upgrade.sh --only-sync-image[=true]   push the package's images into the registry
#   bash upgrade.sh --preflight [--cluster=<name>] [--to <version>] [--dr-standby-kubeconfig <file>]
#        [--output text|json]
#   bash upgrade.sh --skip-sync-image [--skip-check-artifacts]   check the images are in the
#        registry, publish the release (ProductManifest), deploy/update the CVO
#   bash upgrade.sh                            both: sync, then what --skip-sync-image does
#   bash upgrade.sh --version                  upgrade.sh <version> (commit <sha>, built <date>)
#
# Cluster (global): --kubeconfig <file> (default $KUBECONFIG, then ~/.kube/config) [--context <c>],
#   or --platform-address <url> with $ACP_PLATFORM_TOKEN (or --platform-token <t>).
# Registry: --registry <host:port> [--username <u> (--password <p> | --password-stdin) |
#   --target-creds <base64 u:p>] [--plain] [--insecure] [--ca-file <file>]. Without --registry:
#   the platform's (ProductBase base spec.registry; the built-in registry at the global VIP;
#   credentials from Secret cpaas-system/registry-admin); an external registry is not synced
#   into (SKIP_SYNC_IMAGE=true). With no cluster configured or reachable: the config file
#   ($UPGRADE_CONFIG, default upgrade.conf beside this script; a line `registry: host:port`).
# Image sync: [--bundle <dir>] (default images/ beside this script) [--parallel <n>]
#   [--chunk-size <MiB> [--state-dir <dir>]] (resume an interrupted push; see README).
#   Then the images of the plugin packages in [--plugins <dir>] (default plugins/ beside this
#   script, Era B's plugins/*.tgz) with violet push --skip-crs (signatures checked as violet
#   does: [--keyring <file|dir>] or $VIOLET_KEYRING; with a keyring named, a package without
#   .sig is refused unless [--allow-unsigned]); no custom resources are created.
# Slow registries: [--min-speed <bytes/s>] (default 1024) averaged over [--stall-seconds <s>]
#   (default 30) while bytes are due, [--request-timeout <s>] (default 60) per request without
#   a blob; to image-sync, violet push and upgrade-core trigger (every step that talks to it).
# Release: release.yaml beside this script (or --release <file>): version, productImage,
#   cvoImage, images.
# Exit codes: 0 done (preflight: Passed); 1 push failed or interrupted; 2 bad flags or
#   configuration; 3 bundle missing, invalid or corrupt; 4 registry refused the credentials;
#   5 registry unreachable or TLS error; 6 cluster unreachable or refused the request;
#   7 preflight Failed; 8 preflight has no conclusive result (Retry: run it again later);
#   9 images of the release missing from the registry. (One table for every tool: README.)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { echo "upgrade.sh: $1" >&2; exit "${2:-2}"; }
# Private scratch space: a fresh directory of mode 0700 from mktemp (nothing at a name
# another user could predict or plant a link at), removed on every exit.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/upgrade.sh.XXXXXXXX") || die "cannot create a temporary directory" 1
trap 'rm -rf "$scratch"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }

only_sync=false skip_sync=false preflight=false skip_check_artifacts=false show_version=false
registry="" username="" password="" password_stdin=false creds=""
cluster="" to="" dr_standby="" output="" release="$here/release.yaml"
bundle="$here/images" plugins="$here/plugins" extra=() tls=() conn=() verify=() limits=()
while [ $# -gt 0 ]; do
  case "$1" in
    --only-sync-image|--only-sync-image=true) only_sync=true; shift ;;
    --only-sync-image=false) only_sync=false; shift ;;
    --skip-sync-image|--skip-sync-image=true) skip_sync=true; shift ;;
    --skip-sync-image=false) skip_sync=false; shift ;;
    --preflight) preflight=true; shift ;;
    --skip-check-artifacts) skip_check_artifacts=true; shift ;;
    --allow-unsigned) verify+=("$1"); shift ;;
    --registry|--username|--password|--target-creds|--ca-file|--bundle|--parallel|--chunk-size|--state-dir|\
    --cluster|--to|--dr-standby-kubeconfig|--release|--kubeconfig|--context|--platform-address|--platform-token|--output|--plugins|\
    --keyring|--min-speed|--stall-seconds|--request-timeout)
      [ $# -ge 2 ] || die "$1 needs a value"
      case "$1" in
        --registry) registry=$2 ;;
        --username) username=$2 ;;
        --password) password=$2 ;;
        --target-creds) creds=$2 ;;
        --bundle) bundle=$2 ;;
        --plugins) plugins=$2 ;;
        --cluster) cluster=$2 ;;
        --to) to=$2 ;;
        --dr-standby-kubeconfig) dr_standby=$2 ;;
        --release) release=$2 ;;
        --output) output=$2 ;;
        --ca-file) extra+=("$1" "$2"); tls+=("$1" "$2") ;;
        --platform-token) export ACP_PLATFORM_TOKEN=$2 ;;  # to upgrade-core by env, not argv
        --kubeconfig|--context|--platform-address) conn+=("$1" "$2") ;;
        --keyring) verify+=("$1" "$2") ;;
        --min-speed|--stall-seconds|--request-timeout) limits+=("$1" "$2") ;;
        *) extra+=("$1" "$2") ;;
      esac
      shift 2 ;;
    --*=*)
      case "${1%%=*}" in
        --registry|--username|--password|--target-creds|--ca-file|--bundle|--parallel|--chunk-size|--state-dir|\
        --cluster|--to|--dr-standby-kubeconfig|--release|--kubeconfig|--context|--platform-address|--platform-token|--output|--plugins|\
        --keyring|--min-speed|--stall-seconds|--request-timeout)
          set -- "${1%%=*}" "${1#*=}" "${@:2}" ;;
        *) die "unknown flag ${1%%=*} (see bash upgrade.sh --help)" ;;
      esac ;;
    --password-stdin) password_stdin=true; shift ;;
    --plain|--insecure) extra+=("$1"); tls+=("$1"); shift ;;
    -v|--verbose) extra+=("$1"); shift ;;
    -h|--help) usage; exit 0 ;;
    --version) show_version=true; shift ;;
    *) die "unknown flag $1 (see bash upgrade.sh --help)" ;;
  esac
done

# Phase flags: one phase per run (none: sync, then trigger).
if $only_sync && $skip_sync; then die "--only-sync-image and --skip-sync-image exclude each other"; fi
if $preflight && { $only_sync || $skip_sync; }; then
  die "--preflight runs on its own (it only reads); drop --only-sync-image/--skip-sync-image"
fi
if [ -n "$cluster" ] && ! $preflight; then
  die "--cluster=$cluster goes with --preflight (workload clusters have no sync or trigger here; request their upgrade with ac adm upgrade --cluster=$cluster)"
fi
if { [ -n "$to" ] || [ -n "$dr_standby" ] || [ -n "$output" ]; } && ! $preflight; then
  die "--to, --dr-standby-kubeconfig and --output go with --preflight"
fi
if $skip_check_artifacts && $only_sync; then die "--skip-check-artifacts goes with --skip-sync-image"; fi

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
has_plugins() { compgen -G "$plugins/*.tgz" >/dev/null; }
if $password_stdin && { ! $only_sync || has_plugins; }; then
  # Read once here: the image sync, the plugins' push and the trigger may all need it.
  IFS= read -r password || true
  password=${password%$'\r'}
  [ -n "$password" ] || die "--password-stdin: standard input held no password"
  password_stdin=false
fi

find_bin() {  # find_bin <name> <env override>
  local name=$1 override=$2 candidate
  if [ -n "$override" ]; then printf '%s' "$override"; return; fi
  for candidate in "$here/bin/$name" "$here/build/cmd/$name/$name" \
                   "$here/build-images/cmd/$name/$name" "$here/build-upgrade/cmd/$name/$name" \
                   "$(command -v "$name" || true)"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then printf '%s' "$candidate"; return; fi
  done
}

cluster_configured() {
  [ ${#conn[@]} -gt 0 ] || [ -n "${KUBECONFIG:-}" ] || [ -f "${HOME:-/nonexistent}/.kube/config" ]
}

core_bin=""
core() {  # upgrade-core with the connection flags
  if [ -z "$core_bin" ]; then
    core_bin=$(find_bin upgrade-core "${UPGRADE_CORE_BIN:-}")
    [ -n "$core_bin" ] || die "upgrade-core binary not found beside upgrade.sh (bin/upgrade-core); set UPGRADE_CORE_BIN" 1
  fi
  "$core_bin" "${conn[@]}" "$@"
}

# The build's own line (version, commit, date), as upgrade-core --version prints it.
if $show_version; then
  line=$(core --version) || exit 1
  echo "upgrade.sh ${line#upgrade-core }"
  exit 0
fi

# ---- preflight (read-only) ------------------------------------------------------------------
if $preflight; then
  cluster_configured || die "--preflight needs the global cluster: pass --kubeconfig <file> (or set KUBECONFIG)"
  args=(preflight --cluster "${cluster:-global}" --release "$release")
  [ -z "$to" ] || args+=(--to "$to")
  [ -z "$dr_standby" ] || args+=(--dr-standby-kubeconfig "$dr_standby")
  [ -z "$registry" ] || args+=(--registry "$registry")
  [ -z "$output" ] || args+=(--output "$output")
  set +e
  core "${args[@]}"
  code=$?
  set -e
  exit $code
fi

# ---- registry resolution --------------------------------------------------------------------
registry_source="--registry"
SKIP_SYNC_IMAGE=${SKIP_SYNC_IMAGE:-false}
if [ -z "$registry" ]; then
  config=${UPGRADE_CONFIG:-$here/upgrade.conf}
  resolved="" code=0
  if cluster_configured; then
    set +e
    resolved=$(core registry --print-password 2>"$scratch/registry.err")
    code=$?
    set -e
    problem=$(cat "$scratch/registry.err" 2>/dev/null || true)
    if [ $code -ne 0 ] && { [ $code -ne 6 ] || [ ! -f "$config" ]; }; then
      echo "$problem" >&2
      exit $code
    fi
    [ $code -eq 0 ] || echo "upgrade.sh: warning: ${problem#upgrade.sh: } — using $config" >&2
  fi
  if [ $code -eq 0 ] && [ -n "$resolved" ]; then
    registry=$(sed -n 's/^address=//p' <<<"$resolved")
    registry_source=$(sed -n 's/^source=//p' <<<"$resolved")
    if [ "$(sed -n 's/^external=//p' <<<"$resolved")" = true ]; then SKIP_SYNC_IMAGE=true; fi
    if [ -z "$username" ]; then
      username=$(sed -n 's/^username=//p' <<<"$resolved")
      b64=$(sed -n 's/^password_b64=//p' <<<"$resolved")
      if [ -n "$b64" ]; then password=$(printf '%s' "$b64" | base64 -d); fi
      if [ -n "$username" ]; then registry_source="$registry_source; credentials from Secret cpaas-system/registry-admin"; fi
    fi
    unset resolved b64
  else
    [ -f "$config" ] || die "no --registry given, no cluster configured (--kubeconfig) and no config file $config (a line \`registry: host:port\`)"
    registry=$(sed -n 's/^registry:[[:space:]]*//p' "$config" | head -1 | tr -d '"'"'"' \r')
    [ -n "$registry" ] || die "$config has no \`registry: host:port\` line; pass --registry"
    registry_source=$config
  fi
  echo "upgrade.sh: registry $registry (from $registry_source)" >&2
fi
export SKIP_SYNC_IMAGE

# ---- image sync -----------------------------------------------------------------------------
sync_images() {
  [ -d "$bundle" ] || die "image bundle $bundle not found — run from the extracted core package or pass --bundle <dir>" 3
  local bin
  bin=$(find_bin image-sync "${IMAGE_SYNC_BIN:-}")
  [ -n "$bin" ] || die "image-sync binary not found beside upgrade.sh (bin/image-sync); set IMAGE_SYNC_BIN" 1
  local args=(--bundle "$bundle" --registry "$registry" "${extra[@]}" "${limits[@]}")
  if [ -n "$username" ]; then
    args+=(--username "$username" --password-stdin)
    # The password goes through a pipe: it never appears in image-sync's command line.
    if $password_stdin; then
      "$bin" "${args[@]}"
    else
      "$bin" "${args[@]}" < <(printf '%s\n' "$password")
    fi
  else
    "$bin" "${args[@]}"
  fi
}

# Era B: the plugin packages' images (plugins/*.tgz) into the same registry, images only.
sync_plugins() {
  has_plugins || return 0
  local bin
  bin=$(find_bin violet "${VIOLET_BIN:-}")
  [ -n "$bin" ] || die "violet binary not found beside upgrade.sh (bin/violet) for $plugins/*.tgz; set VIOLET_BIN" 1
  local args=(push "$plugins" --skip-crs --dest-repo "$registry" "${verify[@]}" "${limits[@]}")
  local i
  for ((i = 0; i < ${#tls[@]}; i++)); do
    case "${tls[$i]}" in
      --ca-file) args+=(--registry-ca-file "${tls[$((i + 1))]}"); i=$((i + 1)) ;;
      *) args+=("${tls[$i]}") ;;
    esac
  done
  echo "upgrade.sh: pushing the images of the plugin packages in $plugins" >&2
  if [ -n "$username" ]; then
    # The password goes by environment: it never appears in violet's command line.
    VIOLET_REGISTRY_PASSWORD=$password "$bin" "${args[@]}" --username "$username"
  else
    "$bin" "${args[@]}" --no-auth
  fi
}

if $only_sync || ! $skip_sync; then
  if [ "$SKIP_SYNC_IMAGE" = true ]; then
    echo "upgrade.sh: registry $registry is external: image sync skipped (SKIP_SYNC_IMAGE=true)" >&2
  else
    set +e
    sync_images
    code=$?
    [ $code -ne 0 ] || { sync_plugins; code=$?; }
    set -e
    [ $code -eq 0 ] || exit $code
  fi
  if $only_sync; then exit 0; fi
fi

# ---- trigger: verify artifacts, publish the release, deploy the CVO ---------------------------
cluster_configured || die "--skip-sync-image needs the global cluster: pass --kubeconfig <file> (or set KUBECONFIG)"
args=(trigger --release "$release" --registry "$registry" "${tls[@]}" "${limits[@]}")
$skip_check_artifacts && args+=(--skip-check-artifacts)
if [ -n "$username" ]; then
  args+=(--username "$username" --password-stdin)
  core "${args[@]}" < <(printf '%s\n' "$password")
else
  core "${args[@]}"
fi
