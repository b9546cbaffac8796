# Process helpers for the scripts that start real servers (etcd, registry) for tests.

# Stops the process whose pid is in file $1 (TERM, then KILL after 5 s) and removes the file.
stop_pidfile() {
  local pidfile=$1 pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# Stops server $2 when process $1 (the test or script that owns it) is gone.
watch_owner() {
  local owner=$1 pid=$2
  [ -n "$owner" ] || return 0
  ( trap '' HUP; while kill -0 "$owner" 2>/dev/null && kill -0 "$pid" 2>/dev/null; do sleep 1; done
    kill "$pid" 2>/dev/null ) >/dev/null 2>&1 < /dev/null &
  disown || true
}
