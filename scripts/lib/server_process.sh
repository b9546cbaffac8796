# Process helpers for the scripts that start real servers (etcd, registry) for tests.

# Stops the process whose pid is in file $1 (TERM, then KILL after 5 s) and removes the file.
stop_pidfile() {
  local pidfile=$1 pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    kill -CONT "$pid" 2>/dev/null || true  # a stopped process never acts on TERM
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# The start time of process $1 (field 22 of /proc/<pid>/stat, after the parenthesised name),
# empty when it does not run; a zombie (killed, not yet reaped by its parent) does not run.
process_start_time() {
  local stat rest
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  rest=${stat##*) }
  # shellcheck disable=SC2086
  set -- $rest
  case "$1" in Z | X | x) return 0 ;; esac
  echo "${20}"
}

# The process group of process $1 (field 5 of /proc/<pid>/stat), empty when it is gone.
process_group() {
  local stat rest
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  rest=${stat##*) }
  # shellcheck disable=SC2086
  set -- $rest
  echo "$3"
}

# Stops server $2 when process $1 (the test or script that owns it) is gone: killed outright,
# left a zombie, or its pid reused. The watcher runs in its own session so that a signal to
# the owner's process group (kill -9 -<pgid>, a test runner's timeout) cannot take the
# watcher down and leave the server behind; it continues a stopped server before TERM and
# kills it after 10 s.
watch_owner() {
  local owner=$1 pid=$2 born
  [ -n "$owner" ] || return 0
  born=$(process_start_time "$owner")
  setsid bash -c "$(declare -f process_start_time)"'
    owner=$1 pid=$2 born=$3
    trap "" HUP INT TERM
    while [ -n "$born" ] && [ "$(process_start_time "$owner")" = "$born" ] &&
          kill -0 "$pid" 2>/dev/null; do sleep 0.5; done
    kill -TERM "$pid" 2>/dev/null; kill -CONT "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null' owner-watch "$owner" "$pid" "$born" \
    >/dev/null 2>&1 </dev/null &
  local watcher=$! group
  disown || true
  # Return only once the watcher has left our process group: until setsid(2) has run in it, a
  # kill of the owner's group right after this script returns (a loaded machine) would take
  # the watcher down with it and leave the server behind.
  group=$(process_group $$)
  for _ in $(seq 200); do
    [ "$(process_group "$watcher")" = "$group" ] || break
    sleep 0.02
  done
}
