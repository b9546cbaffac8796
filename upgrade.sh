#!/usr/bin/env bash
# upgrade.sh — the core package's script. It only parses its flags (the table below, which
# is also --help) and execs one upgrade-core subcommand per phase; upgrade-core resolves the
# registry and its credentials, runs image-sync and violet, and talks to the cluster.
# Secrets never go into upgrade-core's argv: --password, --target-creds and --platform-token
# travel in its environment (it unsets them before starting anything). See cmd/ac/README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { echo "upgrade.sh: $1" >&2; exit "${2:-2}"; }

# The flags: name(s), value ("-": a switch), where it goes, help. Where it goes: phase (picks
# the upgrade-core subcommand), core (passed on as given), env:NAME (upgrade-core's
# environment, never argv), help, version. "# ..." rows are --help headings.
read -r -d '' flag_table <<'TABLE' || true
# Phases (one per run; none: sync, then what --skip-sync-image does)
--only-sync-image        -         phase  push images/ (image-sync), then the images of plugins/*.tgz (violet push --skip-crs); =true/=false
--skip-sync-image        -         phase  check the release's images are in the registry, publish it (ProductManifest), deploy/update the CVO
--preflight              -         phase  read-only readiness checks, recorded on the cluster's cvsh (exit 7 Failed, 8 Retry)
--move-to-hybrid         -         phase  from the hybrid (x86+ARM) package: check every image offers the nodes' architectures (else exit 10), sync, remove label cpaas.io/node-arch-constraint from Cluster global
# Preflight
--cluster                NAME      core   a workload cluster (reached through the platform proxy); default global
--to                     VERSION   core   target version (default: release.yaml's; a workload cluster: global's)
--dr-standby-kubeconfig  FILE      core   DR: the standby global cluster, for the ordering check
--output                 FORMAT    core   text (default) or json
# Cluster (global)
--kubeconfig             FILE      core   default $KUBECONFIG, then ~/.kube/config
--context                NAME      core   kubeconfig context (default: its current-context)
--platform-address       URL       core   instead of a kubeconfig: https://acp.example.com, token in $ACP_PLATFORM_TOKEN
--platform-token         TOKEN     env:ACP_PLATFORM_TOKEN  the token for --platform-address (prefer $ACP_PLATFORM_TOKEN)
# Registry (default: the platform's, ProductBase base; no cluster: upgrade.conf's `registry: host:port`)
--registry               HOST:PORT core   the registry to sync into and trigger from (--only-sync-image: repeat it for several, one run)
--username               USER      core   registry user (default with no --registry: Secret cpaas-system/registry-admin)
--password               PASSWORD  env:UPGRADE_REGISTRY_PASSWORD  its password (prefer --password-stdin or $UPGRADE_REGISTRY_PASSWORD)
--password-stdin         -         core   read the password from the first line of standard input
--target-creds           BASE64    env:UPGRADE_TARGET_CREDS  legacy: base64 of user:password
--authfile               FILE      core   no --username: a login in this auth file, then podman's and docker's (cmd/image-sync/README.md)
--plain                  -         core   plain HTTP registry
--insecure               -         core   TLS without verifying the registry's certificate
--ca-file                FILE      core   CA bundle that signed the registry's certificate
--min-speed              BYTES/S   core   slow registries: average a transfer must keep (default 1024)
--stall-seconds          S         core   window of that average (default 30)
--request-timeout        S         core   a request without a blob (default 60)
# Image sync
--bundle                 PATH      core   image bundle: images/ or images.tar[.gz|.zst] (default: the one beside upgrade.sh)
--parallel               N         core   requests in flight (image-sync; default 8)
--chunk-size             MIB       core   chunked upload, resumable (image-sync; default 16)
--state-dir              DIR       core   where an interrupted chunked upload is resumed from
--plugins                DIR       core   plugin packages (default plugins/ beside upgrade.sh)
--keyring                FILE|DIR  core   keys for the plugin packages' signatures (or $VIOLET_KEYRING)
--allow-unsigned         -         core   with a keyring: accept a plugin package without .sig
# Trigger
--release                FILE      core   release.yaml (default beside upgrade.sh)
--skip-check-artifacts   -         core   do not check the release's images in the registry
# Other
-v|--verbose             -         core   debug logs (and image-sync's, violet's)
--log-format             FORMAT    core   text (default) or json: one JSON object per log line, the tools it runs too
-h|--help                -         help   this help
--version                -         version  version, git commit and build date
TABLE

usage() {
  local line names value route help
  echo "usage: bash upgrade.sh [--only-sync-image | --skip-sync-image | --preflight | --move-to-hybrid] [flags]"
  while IFS= read -r line; do
    if [[ $line == "# "* ]]; then printf '\n%s:\n' "${line#\# }"; continue; fi
    read -r names value route help <<<"$line"
    [ "$value" = - ] && value="" || value=" $value"
    printf '  %-30s %s\n' "${names//|/, }$value" "$help"
  done <<<"$flag_table"
  echo
  echo "Environment: UPGRADE_CONFIG (default upgrade.conf beside upgrade.sh), SKIP_SYNC_IMAGE=true,"
  echo "  UPGRADE_REGISTRY_PASSWORD, ACP_PLATFORM_TOKEN, VIOLET_KEYRING, REGISTRY_AUTH_FILE"
  echo "  (registry logins: also XDG_RUNTIME_DIR, XDG_CONFIG_HOME, DOCKER_CONFIG); UPGRADE_CORE_BIN,"
  echo "  IMAGE_SYNC_BIN, VIOLET_BIN (default: bin/<name> beside upgrade.sh, then \$PATH)."
  echo "Exit codes: 0 done (preflight Passed); 1 a step failed or was interrupted (run again);"
  echo "  2 bad flags or configuration; 3 bundle or package missing, invalid or corrupt;"
  echo "  4 credentials missing or refused; 5 registry unreachable or TLS; 6 cluster unreachable"
  echo "  or refused; 7 preflight Failed; 8 preflight Retry; 9 images of the release missing."
}

# Sets value_kind and flag_route for flag $1; fails for a flag not in the table.
lookup() {
  local names value route help name
  while read -r names value route help; do
    [ "$names" != "#" ] || continue
    for name in ${names//|/ }; do
      if [ "$name" = "$1" ]; then value_kind=$value flag_route=$route; return 0; fi
    done
  done <<<"$flag_table"
  return 1
}

find_bin() {  # find_bin <name> <env override>
  local name=$1 override=$2 candidate
  if [ -n "$override" ]; then printf '%s' "$override"; return; fi
  for candidate in "$here/bin/$name" "$here/build/cmd/$name/$name" \
                   "$here/build-images/cmd/$name/$name" "$here/build-upgrade/cmd/$name/$name" \
                   "$(command -v "$name" || true)"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then printf '%s' "$candidate"; return; fi
  done
}

core_bin() {
  local core
  core=$(find_bin upgrade-core "${UPGRADE_CORE_BIN:-}")
  [ -n "$core" ] || die "upgrade-core binary not found beside upgrade.sh (bin/upgrade-core); set UPGRADE_CORE_BIN" 1
  [ -f "$core" ] && [ -x "$core" ] || die "upgrade-core: $core is not an executable file (UPGRADE_CORE_BIN?)" 1
  printf '%s' "$core"
}

only_sync=false skip_sync=false preflight=false hybrid=false args=()
while [ $# -gt 0 ]; do
  flag=$1 given=false value=""
  case "$flag" in --*=*) given=true value=${flag#*=} flag=${flag%%=*} ;; esac
  lookup "$flag" || die "unknown flag $flag (see bash upgrade.sh --help)"
  shift
  if [ "$value_kind" = - ]; then
    # A switch; --flag=true / --flag=false as the old script took them.
    case "$given:$value" in
      false: | true:true) on=true ;;
      true:false) on=false ;;
      *) die "$flag takes no value (or =true / =false)" ;;
    esac
  elif ! $given; then
    [ $# -ge 1 ] || die "$flag needs a value"
    value=$1
    shift
  fi
  case "$flag_route" in
    phase)
      case "$flag" in
        --only-sync-image) only_sync=$on ;;
        --skip-sync-image) skip_sync=$on ;;
        --preflight) preflight=$on ;;
        --move-to-hybrid) hybrid=$on ;;
      esac ;;
    env:*) export "${flag_route#env:}=$value" ;;
    help) usage; exit 0 ;;
    version)  # the package's own line (version, commit, date), as upgrade-core --version prints it
      core=$(core_bin); line=$("$core" --version) || exit 1
      echo "upgrade.sh ${line#upgrade-core }"; exit 0 ;;
    core)
      if [ "$value_kind" = - ]; then
        if $on; then args+=("$flag"); fi
      else
        args+=("$flag" "$value")
      fi ;;
  esac
done

if $only_sync && $skip_sync; then die "--only-sync-image and --skip-sync-image exclude each other"; fi
if $preflight && { $only_sync || $skip_sync; }; then
  die "--preflight runs on its own (it only reads); drop --only-sync-image/--skip-sync-image"
fi
if $hybrid && { $preflight || $only_sync || $skip_sync; }; then
  die "--move-to-hybrid runs on its own (it syncs the images itself); drop the other phase flags"
fi
phase=all
if $hybrid; then phase=hybrid; fi
if $preflight; then phase=preflight; fi
if $only_sync; then phase=sync; fi
if $skip_sync; then phase=trigger; fi

core=$(core_bin)
exec "$core" "$phase" --package-dir "$here" "${args[@]}"
