# Port helpers for the scripts that start real servers on 127.0.0.1.

# True when something accepts connections on 127.0.0.1:$1.
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Prints a port in the ephemeral-free range that nothing listens on now.
free_port() {
  local port
  while true; do
    port=$((20000 + RANDOM % 30000))
    port_open "$port" || { echo "$port"; return; }
  done
}
