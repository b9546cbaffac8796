#include "upgrade/preflight_check.h"

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

namespace {
bool Always(const PreflightInputs&) { return true; }
bool GlobalOnly(const PreflightInputs& in) { return in.global(); }
bool WorkloadOnly(const PreflightInputs& in) { return !in.global(); }
bool DisasterRecovery(const PreflightInputs& in) { return in.standby_version.has_value(); }
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
  };
  return kChecks;
}

}  // namespace upgrade
