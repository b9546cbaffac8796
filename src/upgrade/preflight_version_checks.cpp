// The checks about versions and upgrade state: ClusterVersionUpgradeable, AdminAckRequired,
// VersionUpgradePath, and the §1 ordering rules (rule 5, rule 4, rules 2/3 in DR).
#include <fmt/format.h>

#include "k8s/json_fields.h"
#include "platform/readers.h"
#include "platform/resources.h"
#include "upgrade/name_list.h"
#include "upgrade/preflight_check.h"
#include "upgrade/version_rules.h"

namespace upgrade {

using nlohmann::json;

// Reads: the cvsh cpaas-system/<cluster>. Passed when no upgrade runs: no cvsh yet (the CVO
// has not been deployed, nothing can be in progress), or one whose Reconciling is not True,
// whose newest history entry is not Partial, and which is neither Stalled nor
// Upgradeable=False. A run in progress or a stalled one is Failed: finish or fix it first.
CheckResult ClusterVersionUpgradeable(const PreflightInputs& in) {
  const std::string name = "ClusterVersionUpgradeable";
  if (in.cvsh.is_null()) {
    return Passed(
        name, fmt::format("no upgrade in progress (no ClusterVersionShadow {} yet)", in.cluster));
  }
  if (const json* upgradeable = k8s::FindCondition(in.cvsh, "Upgradeable");
      upgradeable && k8s::StringField(*upgradeable, "status") == "False") {
    return Failed(name, k8s::StringField(*upgradeable, "reason", "NotUpgradeable"),
                  k8s::StringField(*upgradeable, "message", "the CVO reports Upgradeable=False"));
  }
  if (const json* stalled = k8s::FindCondition(in.cvsh, "Stalled");
      stalled && k8s::StringField(*stalled, "status") == "True") {
    return Failed(name, "UpgradeStalled",
                  fmt::format("the previous upgrade is stalled: {} — fix it (ac adm upgrade "
                              "status --cluster {}) before a new one",
                              k8s::StringField(*stalled, "message"), in.cluster));
  }
  std::string partial;
  if (in.cvsh.contains("status") && in.cvsh["status"].contains("history") &&
      in.cvsh["status"]["history"].is_array() && !in.cvsh["status"]["history"].empty()) {
    const json& newest = in.cvsh["status"]["history"][0];
    if (k8s::StringField(newest, "state") == "Partial")
      partial = k8s::StringField(newest, "version");
  }
  if (k8s::ConditionStatus(in.cvsh, "Reconciling") == "True" || !partial.empty()) {
    return Failed(name, "UpgradeInProgress",
                  fmt::format("an upgrade{} is in progress; wait for it (ac adm upgrade status "
                              "--cluster {})",
                              partial.empty() ? "" : " to " + partial, in.cluster));
  }
  return Passed(name, "no upgrade in progress");
}

// Reads: ConfigMaps cpaas-system/admin-gates (gate name -> description) and
// cpaas-system/admin-acks (gate name -> "true"). A gate named ack-<major.minor>-... concerns
// only that target minor; a gate without a version concerns every upgrade. Each gate that
// concerns the target must be acknowledged with "true".
CheckResult AdminAckRequired(const PreflightInputs& in) {
  const std::string name = "AdminAckRequired";
  std::vector<std::string> missing;
  for (const auto& [gate, description] : in.admin_gates) {
    std::string gate_minor;
    if (gate.starts_with("ack-")) gate_minor = MinorOf(gate.substr(4, gate.find('-', 4) - 4));
    if (!gate_minor.empty() && gate_minor != MinorOf(in.target_version)) continue;
    auto ack = in.admin_acks.find(gate);
    if (ack == in.admin_acks.end() || ack->second != "true") missing.push_back(gate);
  }
  if (!missing.empty()) {
    return Failed(
        name, "AdminAckRequired",
        fmt::format("gates not acknowledged: {} — read them in ConfigMap "
                    "cpaas-system/admin-gates, then: kubectl -n cpaas-system patch "
                    "configmap admin-acks --type merge -p '{{\"data\":{{\"{}\":\"true\"}}}}'",
                    JoinNames(missing), missing.front()));
  }
  return Passed(name, in.admin_gates.empty()
                          ? "no admin gates defined (ConfigMap cpaas-system/admin-gates)"
                          : "every admin gate for this version is acknowledged");
}

// Reads: the current version (cvsh status.current.version; for global, else ProductBase
// base spec.version) and the target (the package's release.yaml, --to, or for a workload
// cluster the global's version). Rule (§2): target newer than current, from a supported
// source minor (4.3 <- 4.0/4.1/4.2, 4.2 <- 4.0/4.1, 4.1 <- 4.0/3.18, 4.0 <- 3.16/3.18).
CheckResult VersionUpgradePath(const PreflightInputs& in) {
  const std::string name = "VersionUpgradePath";
  if (in.current_version.empty()) {
    return Retry(name, "CurrentVersionUnknown",
                 fmt::format("the current version of cluster {} is unknown (no "
                             "ClusterVersionShadow status.current.version)",
                             in.cluster));
  }
  if (in.target_version.empty()) {
    return Retry(name, "TargetVersionUnknown",
                 "no target version: run from the core package (release.yaml) or pass --to");
  }
  if (!VersionLess(in.current_version, in.target_version)) {
    return Failed(name, "NotAnUpgrade",
                  fmt::format("cluster {} is already at {}; the target {} is not newer", in.cluster,
                              in.current_version, in.target_version));
  }
  if (!UpgradePathSupported(in.current_version, in.target_version)) {
    return Failed(name, "UnsupportedUpgradePath",
                  fmt::format("{} -> {} is not a supported path; {} is reached from {}",
                              in.current_version, in.target_version, MinorOf(in.target_version),
                              JoinNames(SupportedSourceMinors(MinorOf(in.target_version)))));
  }
  return Passed(name, fmt::format("{} -> {} is supported", in.current_version, in.target_version));
}

// §1 rule 5, on the global preflight. Reads: every Cluster (platform.tkestack.io) other than
// global, its status.version (Kubernetes). Before the global tier moves to 4.3 or later,
// every workload cluster must run Kubernetes 1.31-1.34; upgrade the others first.
CheckResult WorkloadClustersKubernetesCompatible(const PreflightInputs& in) {
  const std::string name = "WorkloadClustersKubernetesCompatible";
  const KubernetesRange range = KubernetesRangeFor(in.current_version, in.target_version);
  if (range.max_minor.empty() && range.min_minor.empty()) {
    return Passed(
        name, fmt::format("no workload Kubernetes requirement for target {}", in.target_version));
  }
  std::vector<std::string> outside, unknown;
  for (const json& cluster : in.clusters) {
    const platform::Cluster view = platform::ClusterOf(cluster);
    const std::string& cluster_name = view.name;
    if (cluster_name == platform::kGlobalCluster) continue;
    const std::string& version = view.version;
    if (version.empty()) {
      unknown.push_back(cluster_name);
    } else if (!KubernetesInRange(version, range)) {
      outside.push_back(fmt::format("{} ({})", cluster_name, version));
    }
  }
  if (!outside.empty()) {
    return Failed(name, "WorkloadKubernetesUnsupported",
                  fmt::format("workload clusters outside Kubernetes {}: {} — upgrade their "
                              "Kubernetes before the global cluster",
                              DescribeRange(range), JoinNames(outside)));
  }
  if (!unknown.empty()) {
    return Retry(name, "KubernetesVersionUnknown",
                 fmt::format("Cluster objects without status.version: {}", JoinNames(unknown)));
  }
  return Passed(name,
                fmt::format("every workload cluster runs Kubernetes {}", DescribeRange(range)));
}

// §1 rules 1 and 4, on a workload preflight. Reads: the global cluster's version. A workload
// cluster may only go to a version the global cluster has already reached.
CheckResult GlobalVersionReached(const PreflightInputs& in) {
  const std::string name = "GlobalVersionReached";
  if (in.global_current_version.empty()) {
    return Retry(name, "GlobalVersionUnknown",
                 "the global cluster's version is unknown (no ClusterVersionShadow global status "
                 "and no ProductBase base spec.version)");
  }
  if (in.target_version.empty()) {
    return Retry(name, "TargetVersionUnknown", "no target version: pass --to");
  }
  if (VersionLess(in.global_current_version, in.target_version)) {
    return Failed(name, "GlobalNotUpgraded",
                  fmt::format("the global cluster is at {}; upgrade it to {} before cluster {}",
                              in.global_current_version, in.target_version, in.cluster));
  }
  return Passed(name, fmt::format("the global cluster is at {}", in.global_current_version));
}

// §1 rules 2 and 3, when the preflight is told the standby (--dr-standby-kubeconfig).
// Reads: the standby's cvsh global status.current.version (else its ProductBase version).
// Global preflight on the primary: the standby must already be at the target. Workload
// preflight: both global clusters must be there.
CheckResult DisasterRecoveryOrder(const PreflightInputs& in) {
  const std::string name = "DisasterRecoveryOrder";
  const std::string standby = in.standby_version.value_or("");
  if (standby.empty()) {
    return Retry(name, "StandbyVersionUnknown",
                 "the standby global cluster's version could not be read");
  }
  if (in.target_version.empty()) {
    return Retry(name, "TargetVersionUnknown", "no target version");
  }
  if (VersionLess(standby, in.target_version)) {
    return Failed(name, "StandbyNotUpgraded",
                  in.global()
                      ? fmt::format("the standby global cluster is at {}: upgrade the standby to "
                                    "{} first, then the primary",
                                    standby, in.target_version)
                      : fmt::format("the standby global cluster is at {}: both global clusters "
                                    "must reach {} before any workload cluster",
                                    standby, in.target_version));
  }
  return Passed(name, fmt::format("the standby global cluster is at {}", standby));
}

}  // namespace upgrade
