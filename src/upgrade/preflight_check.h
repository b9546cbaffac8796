// The preflight checks of acp-spec.md §3 (plus the ordering rules of §1 as checks): each a
// pure function from what was read from the clusters (PreflightInputs) to Passed/Retry/Failed.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace upgrade {

// What the node-local checks look at (acp-spec.md §2 "Space and other checks"), read on the
// machine upgrade.sh runs on by ReadNodeLocalFacts (preflight_node_local.h).
struct NodeLocalFacts {
  // Only a global control-plane node is where the docs extract the package; elsewhere the
  // node-local checks say where they must run instead of measuring the wrong machine.
  bool control_plane = false;  // <root>/etc/kubernetes/manifests/kube-apiserver.yaml exists
  std::string host;            // for the messages
  std::string minio_dir;       // /cpaas/minio
  std::optional<uint64_t> minio_free_bytes;  // nullopt: could not be read (minio_error)
  std::string minio_error;
  std::string package_dir;  // where upgrade.sh was extracted
  std::optional<uint64_t> package_free_bytes;
  std::string package_error;
  uint64_t extracted_images_bytes = 0;    // images/ already extracted there (counts as used space)
  std::string images_archive;             // images.tar* beside upgrade.sh while images/ is absent
  std::string cgroup_dir;                 // /sys/fs/cgroup
  std::optional<int64_t> cgroup_fs_type;  // statfs f_type; nullopt: could not be read
};

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

  // The prerequisites of §2 (detection choices: docs/preflight-checks.md).
  std::vector<nlohmann::json> all_module_infos;    // every ModuleInfo on global
  std::vector<nlohmann::json> module_plugins;      // every ModulePlugin on global (pushed)
  std::vector<nlohmann::json> topolvm_versions;    // ArtifactVersions of TopoLVM, global
  std::vector<nlohmann::json> istio_deployments;   // Deployments in istio-system
  std::vector<nlohmann::json> elasticsearch_pods;  // Pods label service_name=cpaas-elasticsearch
  std::optional<NodeLocalFacts> node;              // global preflight: the machine it runs on

  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();

  bool global() const { return cluster == "global"; }
};

enum class CheckState { kPassed, kRetry, kFailed };
const char* CheckStateName(CheckState state);  // "Passed", "Retry", "Failed"

// A check's policy: Required results decide the overall result; Advisory ones are warnings
// (their Failed or Retry is shown and recorded, never blocks).
inline constexpr const char* kRequired = "Required";
inline constexpr const char* kAdvisory = "Advisory";

struct CheckResult {
  std::string name;
  std::string policy = kRequired;
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
// §2 prerequisites read through the API (preflight_prereq_checks.cpp).
CheckResult NodeKernelVersion(const PreflightInputs& in);
CheckResult CostManagementUninstalled(const PreflightInputs& in);
CheckResult IstioVersionSupported(const PreflightInputs& in);
CheckResult ClickHouseUninstalled(const PreflightInputs& in);
CheckResult ElasticsearchV6(const PreflightInputs& in);
CheckResult PlatformNodeIsolation(const PreflightInputs& in);
CheckResult LogEssentialsPushed(const PreflightInputs& in);
CheckResult TopolvmPackagePushed(const PreflightInputs& in);
// §2 node-local (preflight_node_local.cpp).
CheckResult MinioFreeSpace(const PreflightInputs& in);
CheckResult ExtractionDiskFreeSpace(const PreflightInputs& in);
CheckResult CgroupV2(const PreflightInputs& in);

// Which checks apply (preflight_prereq_checks.cpp): the version conditions of §2.
bool TargetAtLeast(const PreflightInputs& in, const std::string& minor);
bool CurrentMinorIs(const PreflightInputs& in, const std::string& minor);
bool TopolvmPushRequired(const PreflightInputs& in);

// Shorthands for the checks' results.
CheckResult Passed(const std::string& name, const std::string& message);
CheckResult Retry(const std::string& name, const std::string& reason, const std::string& message);
CheckResult Failed(const std::string& name, const std::string& reason, const std::string& message);
// The same result as a warning (policy Advisory).
CheckResult Advisory(CheckResult result);

}  // namespace upgrade
