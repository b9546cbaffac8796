#!/usr/bin/env bash
# Generates a throw-away PKI for TLS tests: ca.crt/ca.key, server.crt/key (127.0.0.1,
# ::1, localhost), client.crt/key, and other-ca.crt (a CA that signed nothing, for
# "wrong CA" tests). Kubernetes' etcd uses mutual TLS, so the tests do too.
#
#   scripts/gen-test-certs.sh <dir>
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 <dir>" >&2; exit 2; }
dir=$1
mkdir -p "$dir"
cd "$dir"
command -v openssl >/dev/null || { echo "openssl not found: apt-get install openssl" >&2; exit 1; }

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=test-etcd-ca" \
  -keyout ca.key -out ca.crt 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=unrelated-ca" \
  -keyout other-ca.key -out other-ca.crt 2>/dev/null

issue() {
  local name=$1 cn=$2 ext=$3
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$cn" -keyout "$name.key" -out "$name.csr" 2>/dev/null
  printf '%s\n' "$ext" > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
    -extfile "$name.ext" -out "$name.crt" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}
issue server etcd-server "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost
extendedKeyUsage=serverAuth,clientAuth"
issue client etcd-sync "extendedKeyUsage=clientAuth"
chmod 600 ./*.key
echo "$dir"
