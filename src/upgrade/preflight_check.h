// The preflight checks of acp-spec.md §3 (plus the ordering rules of §1 as checks): each a
// pure function from what was read from the clusters (PreflightInputs) to Passed/Retry/Failed.
#pragma once

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace upgrade {

// What the checks look at, read once by GatherPreflightInputs (preflight_inputs.h). Lists are
// empty when the cluster has none; `null` objects are absent ones.
struct PreflightInputs {
  std::string cluster = "global";  // the cluster being checked
  std::string current_version;     // its ACP version ("" unknown)
  std::string current_version_from;
  std::string target_version;  // where it is going ("" unknown)
  std::string target_version_from;
  std::string global_current_version;  // the global cluster's version (workload preflight)
  // DR: the standby global cluster's version when --dr-standby-kubeconfig names it.
  std::optional<std::string> standby_version;

  // On the global cluster.
  nlohmann::json cvsh;                             // ClusterVersionShadow cpaas-system/<cluster>
  nlohmann::json cluster_object;                   // Cluster platform.tkestack.io <cluster>
  std::vector<nlohmann::json> clusters;            // every Cluster (rule 5)
  std::vector<nlohmann::json> machines;            // Machines with spec.clusterName=<cluster>
  std::vector<nlohmann::json> module_infos;        // label cpaas.io/cluster-name=<cluster>
  std::vector<nlohmann::json> resource_patches;    // every ResourcePatch
  std::map<std::string, std::string> admin_gates;  // ConfigMap cpaas-system/admin-gates data
  std::map<std::string, std::string> admin_acks;   // ConfigMap cpaas-system/admin-acks data
  nlohmann::json license;                          // Secret cpaas-system/platform-license

  // On the cluster being checked.
  std::vector<nlohmann::json> nodes;
  std::vector<nlohmann::json> kube_system_pods;
  std::vector<nlohmann::json> cri_upgrade_pods;  // label app=cri-upgrade, all namespaces
  std::vector<nlohmann::json> cronjobs;          // in cpaas-system and kube-system

  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();

  bool global() const { return cluster == "global"; }
};

enum class CheckState { kPassed, kRetry, kFailed };
const char* CheckStateName(CheckState state);  // "Passed", "Retry", "Failed"

struct CheckResult {
  std::string name;
  std::string policy = "Required";
  CheckState state = CheckState::kRetry;
  std::string reason;
  std::string message;
};

struct PreflightCheck {
  std::string name;
  // False: the check does not concern this preflight (e.g. a global-only check on a
  // workload cluster); it is then not listed.
  bool (*applies)(const PreflightInputs&);
  CheckResult (*run)(const PreflightInputs&);
};

// Every check, in the order the docs list them, then the §1 ordering checks.
const std::vector<PreflightCheck>& AllPreflightChecks();

// The individual checks (documented where defined: what they read and their rule).
CheckResult ResourcePatchUpgradeable(const PreflightInputs& in);
CheckResult ClusterVersionUpgradeable(const PreflightInputs& in);
CheckResult AdminAckRequired(const PreflightInputs& in);
CheckResult VersionUpgradePath(const PreflightInputs& in);
CheckResult KubernetesVersionSupported(const PreflightInputs& in);
CheckResult DockerRuntimeUnsupported(const PreflightInputs& in);
CheckResult ClusterRunning(const PreflightInputs& in);
CheckResult ClusterModuleStable(const PreflightInputs& in);
CheckResult ControlPlaneStaticPodsPresent(const PreflightInputs& in);
CheckResult CustomEtcdBackupCronJobsAbsent(const PreflightInputs& in);
CheckResult CRIUpgradePodsAbsent(const PreflightInputs& in);
CheckResult ModuleInfoStable(const PreflightInputs& in);
CheckResult PlatformLicense(const PreflightInputs& in);
CheckResult WorkloadClustersKubernetesCompatible(const PreflightInputs& in);
CheckResult GlobalVersionReached(const PreflightInputs& in);
CheckResult DisasterRecoveryOrder(const PreflightInputs& in);

// Shorthands for the checks' results.
CheckResult Passed(const std::string& name, const std::string& message);
CheckResult Retry(const std::string& name, const std::string& reason, const std::string& message);
CheckResult Failed(const std::string& name, const std::string& reason, const std::string& message);

}  // namespace upgrade
