#!/usr/bin/env bash
# deploy/etcd-sync as shipped: the alert rules load and behave (promtool check + test
# rules), the PrometheusRule carries exactly those rules, and `kubectl kustomize` renders a
# hardened deployment of the image scripts/build-etcd-sync-image.sh builds (its repository
# and etcd-sync's version as the tag), whose ServiceAccount may only publish the leader Lease. Works with kubectl 1.20 (Debian 12's
# kubernetes-client) and later; $KUBECTL picks another kubectl.
#
#   tests/scripts/etcd_sync_deploy_test.sh <etcd-sync binary>
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 <etcd-sync>" >&2; exit 2; }
root=$(cd "$(dirname "$0")/../.." && pwd)
deploy="$root/deploy/etcd-sync"
kubectl=${KUBECTL:-kubectl}
fail() { echo "FAIL: $*" >&2; exit 1; }
passed=0
pass() { passed=$((passed + 1)); echo "ok: $*"; }

command -v promtool >/dev/null || fail "promtool not found: apt-get install prometheus (scripts/install-deps.sh)"
out=$(promtool check rules "$deploy/alerts/etcd-sync-rules.yaml" 2>&1) || fail "promtool check rules: $out"
(cd "$deploy/alerts" && promtool test rules etcd-sync-rules.test.yaml > /dev/null 2>&1) ||
  fail "promtool test rules: $(cd "$deploy/alerts" && promtool test rules etcd-sync-rules.test.yaml 2>&1)"
for alert in EtcdSyncDown EtcdSyncNoLeader EtcdSyncLagHigh EtcdSyncCheckMissedKeys \
             EtcdSyncCheckSurplusKeys EtcdSyncSourceUnreachable EtcdSyncUnwritableValues; do
  grep -q "alert: $alert\$" "$deploy/alerts/etcd-sync-rules.yaml" || fail "no alert $alert"
  [ "$(grep -c "alertname: $alert\$" "$deploy/alerts/etcd-sync-rules.test.yaml")" -ge 2 ] ||
    fail "alert $alert has no firing and no quiet case in etcd-sync-rules.test.yaml"
done
pass "promtool check rules and test rules (7 alerts, each firing and quiet)"

bash "$root/scripts/etcd-sync-prometheusrule.sh" --check > /dev/null ||
  fail "prometheusrule.yaml differs from alerts/etcd-sync-rules.yaml: bash scripts/etcd-sync-prometheusrule.sh > deploy/etcd-sync/prometheusrule.yaml"
pass "prometheusrule.yaml carries exactly alerts/etcd-sync-rules.yaml"

if ! command -v "$kubectl" >/dev/null; then
  echo "SKIPPED: kubectl not found (apt-get install kubernetes-client): the kustomize rendering is not checked" >&2
  echo "etcd-sync deploy: $passed passed, 0 failed, 1 skipped"
  exit 0
fi
rendered=$("$kubectl" kustomize "$deploy" 2>&1) || fail "kubectl kustomize deploy/etcd-sync: $rendered"
has() { grep -Eq -- "$1" <<< "$rendered" || fail "the rendered deployment has no line matching /$1/ ($2)"; }
lacks() { ! grep -Eq -- "$1" <<< "$rendered" || fail "the rendered deployment has a line matching /$1/ ($2)"; }
for kind in Deployment Service ConfigMap PodDisruptionBudget ServiceMonitor PrometheusRule \
            ServiceAccount Role RoleBinding; do
  has "^kind: $kind\$" "kind $kind"
done
# metadata.namespace of each object (a RoleBinding's subjects carry one too: not counted).
namespaces=$(awk '/^metadata:/ {m = 1; next} /^[^ ]/ {m = 0} m && /^  namespace: cpaas-system$/ {n++}
                  END {print n + 0}' <<< "$rendered")
[ "$(grep -c '^kind:' <<< "$rendered")" = "$namespaces" ] || fail "not every object goes to cpaas-system"

version=$("$1" --version | sed -E 's/^etcd-sync ([^ ]+) .*/\1/')
has "^ +image: REGISTRY/acp/etcd-sync:$version\$" \
  "the image as build-etcd-sync-image.sh names it, tagged with etcd-sync's version $version"
lacks ':latest' "no :latest image"
pass "kustomize renders REGISTRY/acp/etcd-sync:$version into cpaas-system"

# The one thing the pod may do with the API: publish the leader Lease (issue 16).
has '^[ -]+serviceAccountName: etcd-sync$' "the pod runs as ServiceAccount etcd-sync"
has '^[ -]+automountServiceAccountToken: true$' "the pod has the token that publishes the Lease"
# The Role's rules, exactly: create leases (create cannot be limited to a name), get and
# update only etcd-sync-mirror; no delete, list, watch or patch.
# The one document of kind $1 named $2 (kustomize separates documents with ---).
document() {
  awk -v kind="kind: $1" -v name="  name: $2" '
    function flush() { if (k && n) printf "%s", d; d = ""; k = 0; n = 0 }
    /^---$/ {flush(); next}
    {d = d $0 "\n"} $0 == kind {k = 1} $0 == name {n = 1}
    END {flush()}' <<< "$rendered"
}
rules=$(document Role etcd-sync-leader-lease |
          awk '/^rules:$/ {p = 1; next} /^[^ -]/ {p = 0} p' | tr -d ' ' | tr '\n' ' ')
expected='-apiGroups: -coordination.k8s.io resources: -leases verbs: -create -apiGroups: -coordination.k8s.io resourceNames: -etcd-sync-mirror resources: -leases verbs: -get -update '
[ "$rules" = "$expected" ] || fail "Role etcd-sync-leader-lease rules are [$rules], expected [$expected]"
binding=$(document RoleBinding etcd-sync-leader-lease |
            awk '/^(roleRef|subjects):$/ {p = 1; next} /^[^ -]/ {p = 0} p' | tr -d ' ' | tr '\n' ' ')
expected='apiGroup:rbac.authorization.k8s.io kind:Role name:etcd-sync-leader-lease -kind:ServiceAccount name:etcd-sync namespace:cpaas-system '
[ "$binding" = "$expected" ] || fail "RoleBinding etcd-sync-leader-lease binds [$binding], expected [$expected]"
has '^  name: etcd-sync-leader-lease$' "Role and RoleBinding etcd-sync-leader-lease"
has '^    fieldPath: metadata.name$|^ +fieldPath: metadata.name$' "POD_NAME from the downward API"
pass "ServiceAccount etcd-sync: create leases, get/update only etcd-sync-mirror; POD_NAME from the pod's name"

has '^[ -]+type: RuntimeDefault$' "seccomp RuntimeDefault"
has '^[ -]+allowPrivilegeEscalation: false$' "no privilege escalation"
has '^[ -]+readOnlyRootFilesystem: true$' "read-only root filesystem"
has '^ +- ALL$|drop: \[.?ALL.?\]' "capabilities drop ALL"
lacks '^[ -]+add:' "no capability added"
lacks 'privileged: true' "not privileged"
has '^[ -]+minAvailable: 1$' "PodDisruptionBudget minAvailable 1"
has '^[ -]+replicas: 2$' "2 replicas"
has '^[ -]+mountPath: /tmp$' "/tmp writable (an emptyDir) under the read-only root"
has '^[ -]+path: /etc/kubernetes/pki/etcd$' "the node's etcd client certificate"
has '^[ -]+readOnly: true$' "read-only mounts"
has '^[ -]+secretName: remote-etcd-client$' "the active cluster's client certificate"
has '^  name: etcd-sync-monitor$' "Service etcd-sync-monitor"
has '^[ -]+port: http$' "ServiceMonitor on the Service's http port"
has '^[ -]+path: /metrics$' "ServiceMonitor path /metrics"
pass "hardened: seccomp, no escalation, read-only root, no capabilities, PDB, ServiceMonitor"

# 4.3.1+ bootstrap (acp-spec §8.4): Job etcd-sync-bootstrap runs `etcd-sync bootstrap` with
# the same config under its own ServiceAccount, limited to the objects it reads and writes.
for kind in Job ServiceAccount Role RoleBinding; do has "^kind: $kind\$" "kind $kind"; done
job=$(awk '/^kind: Job$/,/^---$/' <<< "$rendered")
grep -q '^  name: etcd-sync-bootstrap$' <<< "$job" || fail "no Job etcd-sync-bootstrap"
grep -Eq '^ +- bootstrap$' <<< "$job" || fail "the Job does not run etcd-sync bootstrap"
grep -Eq '^ +- --config=/etc/etcd-sync/config/config.yaml$' <<< "$job" ||
  fail "the Job does not read the shared config.yaml"
grep -Eq '^ +serviceAccountName: etcd-sync-bootstrap$' <<< "$job" || fail "the Job's ServiceAccount"
grep -Eq '^ +name: etcd-sync-config-[a-z0-9]+$' <<< "$job" || fail "the Job mounts etcd-sync-config"
grep -Eq '^ +readOnlyRootFilesystem: true$' <<< "$job" || fail "the Job's root filesystem is writable"
grep -Eq '^ +runAsNonRoot: true$' <<< "$job" || fail "the Job runs as root"
role=$(document Role etcd-sync-bootstrap)
for name in etcd-sync-active-cluster-token remote-etcd-ca remote-etcd-client remote-etcd-issuer; do
  grep -q -- "- $name\$" <<< "$role" || fail "Role etcd-sync-bootstrap does not name $name"
done
! grep -Eq -- '- (list|watch|patch|deletecollection|"\*")$' <<< "$role" ||
  fail "Role etcd-sync-bootstrap grants more than get/create/update/delete"
pass "Job etcd-sync-bootstrap: runs etcd-sync bootstrap with config.yaml, own ServiceAccount, named-object Role"

# The §8.3 form keys (ModuleInfo spec.config) are config.yaml keys, and etcd-sync accepts
# every key of config.yaml: an unknown one would stop the bootstrap Job and the Deployment.
for key in active-global-vip source-endpoints dest-endpoints active-token-secret check-interval \
           print-detail-logs active-etcd-ca-secret; do
  grep -q "^$key:" "$deploy/config.yaml" || fail "config.yaml has no key $key"
done
out=$("$1" bootstrap --config "$deploy/config.yaml" --kubeconfig /nonexistent/kubeconfig 2>&1) && fail "bootstrap without a cluster succeeded"
grep -q 'kubeconfig /nonexistent/kubeconfig' <<< "$out" ||
  fail "etcd-sync bootstrap does not take config.yaml: $out"
pass "config.yaml carries the form keys and etcd-sync bootstrap reads it"
echo "etcd-sync deploy: $passed passed, 0 failed"
