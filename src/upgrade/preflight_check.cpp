#include "upgrade/preflight_check.h"

#include "upgrade/version_rules.h"

namespace upgrade {

const char* CheckStateName(CheckState state) {
  switch (state) {
    case CheckState::kPassed:
      return "Passed";
    case CheckState::kRetry:
      return "Retry";
    case CheckState::kFailed:
      return "Failed";
  }
  return "Retry";
}

CheckResult Passed(const std::string& name, const std::string& message) {
  return {name, "Required", CheckState::kPassed, "", message};
}
CheckResult Retry(const std::string& name, const std::string& reason, const std::string& message) {
  return {name, "Required", CheckState::kRetry, reason, message};
}
CheckResult Failed(const std::string& name, const std::string& reason, const std::string& message) {
  return {name, "Required", CheckState::kFailed, reason, message};
}
CheckResult Advisory(CheckResult result) {
  result.policy = kAdvisory;
  return result;
}

namespace {
bool Always(const PreflightInputs&) { return true; }
bool GlobalOnly(const PreflightInputs& in) { return in.global(); }
bool WorkloadOnly(const PreflightInputs& in) { return !in.global(); }
bool DisasterRecovery(const PreflightInputs& in) { return in.standby_version.has_value(); }
bool To44(const PreflightInputs& in) { return TargetAtLeast(in, "4.4"); }
bool From3x(const PreflightInputs& in) {
  return CurrentMinorIs(in, "3.16") || CurrentMinorIs(in, "3.18");
}
bool From316(const PreflightInputs& in) { return CurrentMinorIs(in, "3.16"); }
bool GlobalTo42(const PreflightInputs& in) {
  return in.global() && TargetAtLeast(in, "4.2") && !TargetAtLeast(in, "4.3");
}
bool Into42(const PreflightInputs& in) {
  return TargetAtLeast(in, "4.2") && !in.current_version.empty() &&
         VersionLess(MinorOf(in.current_version), "4.2");
}
bool OnGlobalNode(const PreflightInputs& in) { return in.global() && in.node.has_value(); }
bool OnGlobalNodeTo44(const PreflightInputs& in) { return OnGlobalNode(in) && To44(in); }
}  // namespace

const std::vector<PreflightCheck>& AllPreflightChecks() {
  static const std::vector<PreflightCheck> kChecks = {
      {"ResourcePatchUpgradeable", Always, ResourcePatchUpgradeable},
      {"ClusterVersionUpgradeable", Always, ClusterVersionUpgradeable},
      {"AdminAckRequired", Always, AdminAckRequired},
      {"VersionUpgradePath", Always, VersionUpgradePath},
      {"KubernetesVersionSupported", Always, KubernetesVersionSupported},
      {"DockerRuntimeUnsupported", Always, DockerRuntimeUnsupported},
      {"ClusterRunning", Always, ClusterRunning},
      {"ClusterModuleStable", Always, ClusterModuleStable},
      {"ControlPlaneStaticPodsPresent", Always, ControlPlaneStaticPodsPresent},
      {"CustomEtcdBackupCronJobsAbsent", Always, CustomEtcdBackupCronJobsAbsent},
      {"CRIUpgradePodsAbsent", Always, CRIUpgradePodsAbsent},
      {"ModuleInfoStable", Always, ModuleInfoStable},
      {"PlatformLicense", Always, PlatformLicense},
      {"WorkloadClustersKubernetesCompatible", GlobalOnly, WorkloadClustersKubernetesCompatible},
      {"GlobalVersionReached", WorkloadOnly, GlobalVersionReached},
      {"DisasterRecoveryOrder", DisasterRecovery, DisasterRecoveryOrder},
      // §2 prerequisites the docs leave to the operator (docs/preflight-checks.md).
      {"NodeKernelVersion", To44, NodeKernelVersion},
      {"CostManagementUninstalled", Always, CostManagementUninstalled},
      {"IstioVersionSupported", From3x, IstioVersionSupported},
      {"ClickHouseUninstalled", From316, ClickHouseUninstalled},
      {"ElasticsearchV6", From3x, ElasticsearchV6},
      {"PlatformNodeIsolation", GlobalTo42, PlatformNodeIsolation},
      {"LogEssentialsPushed", Into42, LogEssentialsPushed},
      {"TopolvmPackagePushed", TopolvmPushRequired, TopolvmPackagePushed},
      {"MinioFreeSpace", OnGlobalNode, MinioFreeSpace},
      {"ExtractionDiskFreeSpace", OnGlobalNode, ExtractionDiskFreeSpace},
      {"CgroupV2", OnGlobalNodeTo44, CgroupV2},
  };
  return kChecks;
}

}  // namespace upgrade
