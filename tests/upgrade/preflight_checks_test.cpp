// Each preflight check's rule over hand-built cluster objects: a passing and a failing (or
// Retry) case per check, and the runner's overall result and cvo-config handling.
#include <gtest/gtest.h>

#include "common/base64.h"
#include "upgrade/preflight_check.h"
#include "upgrade/preflight_runner.h"

namespace upgrade {
namespace {

using nlohmann::json;

json Node(const std::string& name, const std::string& kubelet, const std::string& runtime,
          bool control_plane) {
  json node = {
      {"metadata", {{"name", name}, {"labels", json::object()}}},
      {"status",
       {{"nodeInfo", {{"kubeletVersion", kubelet}, {"containerRuntimeVersion", runtime}}}}}};
  if (control_plane) node["metadata"]["labels"]["node-role.kubernetes.io/control-plane"] = "";
  return node;
}

json Named(const std::string& name, const std::string& ns = "") {
  json object = {{"metadata", {{"name", name}}}};
  if (!ns.empty()) object["metadata"]["namespace"] = ns;
  return object;
}

json ModuleInfo(const std::string& name, const std::string& spec, const std::string& status,
                const std::string& phase) {
  return {{"metadata", {{"name", name}, {"labels", {{"cpaas.io/module-name", name}}}}},
          {"spec", {{"version", spec}}},
          {"status", {{"version", status}, {"phase", phase}}}};
}

// A global cluster ready to go from 4.2.1 to 4.3.0: every check passes.
PreflightInputs Healthy() {
  PreflightInputs in;
  in.cluster = "global";
  in.current_version = "4.2.1";
  in.target_version = "4.3.0";
  in.global_current_version = "4.2.1";
  in.cvsh = {{"metadata", {{"name", "global"}}}, {"status", {{"current", {{"version", "4.2.1"}}}}}};
  in.cluster_object = {{"metadata", {{"name", "global"}}},
                       {"status", {{"phase", "Running"}, {"version", "v1.32.3"}}}};
  in.clusters = {in.cluster_object,
                 {{"metadata", {{"name", "work-1"}}}, {"status", {{"version", "v1.33.1"}}}}};
  in.machines = {{{"metadata", {{"name", "m1"}}}, {"status", {{"phase", "Running"}}}}};
  in.module_infos = {ModuleInfo("acp-base", "4.2.1", "4.2.1", "Running")};
  in.resource_patches = {};
  in.license = {{"data", {{"notAfter", common::EncodeBase64("2099-01-01T00:00:00Z")}}}};
  in.nodes = {Node("cp-1", "v1.32.3", "containerd://1.7.2", true),
              Node("w-1", "v1.32.3", "containerd://1.7.2", false)};
  for (const char* pod : {"kube-apiserver-cp-1", "kube-controller-manager-cp-1",
                          "kube-scheduler-cp-1", "etcd-cp-1"}) {
    in.kube_system_pods.push_back(Named(pod, "kube-system"));
  }
  in.cronjobs = {Named("etcd-backup-default", "cpaas-system")};
  return in;
}

CheckState StateOf(CheckResult (*check)(const PreflightInputs&), const PreflightInputs& in) {
  return check(in).state;
}

TEST(PreflightChecksTest, HealthyClusterPassesEveryCheck) {
  const PreflightReport report = RunPreflight(Healthy(), {});
  EXPECT_EQ(report.overall, CheckState::kPassed);
  // 13 documented + rule 5 (global) + CostManagementUninstalled (the other §2
  // prerequisites concern other versions or need the node: preflight_prereq_test.cpp).
  ASSERT_EQ(report.results.size(), 15u);
  for (const CheckResult& result : report.results) {
    EXPECT_EQ(result.state, CheckState::kPassed) << result.name << ": " << result.message;
  }
}

TEST(PreflightChecksTest, ResourcePatchUpgradeable) {
  PreflightInputs in = Healthy();
  json patch = Named("tune-apiserver");
  in.resource_patches = {patch};
  CheckResult result = ResourcePatchUpgradeable(in);
  EXPECT_EQ(result.state, CheckState::kFailed);
  EXPECT_EQ(result.reason, "UnexemptResourcePatches");
  EXPECT_NE(result.message.find("config.cpaas.io/exempt-for-ver=4.3.0"), std::string::npos);
  in.resource_patches[0]["metadata"]["annotations"] = {{"config.cpaas.io/exempt-for-ver", "4.3.0"}};
  EXPECT_EQ(StateOf(ResourcePatchUpgradeable, in), CheckState::kPassed);
  // A patch exempted for another version does not count; one for another cluster is skipped.
  in.resource_patches[0]["metadata"]["annotations"]["config.cpaas.io/exempt-for-ver"] = "4.2.0";
  EXPECT_EQ(StateOf(ResourcePatchUpgradeable, in), CheckState::kFailed);
  in.resource_patches[0]["metadata"]["labels"] = {{"cpaas.io/cluster-name", "work-1"}};
  EXPECT_EQ(StateOf(ResourcePatchUpgradeable, in), CheckState::kPassed);
}

TEST(PreflightChecksTest, ClusterVersionUpgradeable) {
  PreflightInputs in = Healthy();
  EXPECT_EQ(StateOf(ClusterVersionUpgradeable, in), CheckState::kPassed);
  in.cvsh["status"]["conditions"] = {{{"type", "Reconciling"}, {"status", "True"}}};
  in.cvsh["status"]["history"] = {{{"version", "4.2.2"}, {"state", "Partial"}}};
  CheckResult running = ClusterVersionUpgradeable(in);
  EXPECT_EQ(running.state, CheckState::kFailed);
  EXPECT_EQ(running.reason, "UpgradeInProgress");
  EXPECT_NE(running.message.find("4.2.2"), std::string::npos);
  in.cvsh["status"]["conditions"] = {
      {{"type", "Stalled"}, {"status", "True"}, {"message", "stage Core failed"}}};
  in.cvsh["status"]["history"][0]["state"] = "Completed";
  EXPECT_EQ(ClusterVersionUpgradeable(in).reason, "UpgradeStalled");
  in.cvsh = nullptr;  // no CVO yet: nothing can be running
  EXPECT_EQ(StateOf(ClusterVersionUpgradeable, in), CheckState::kPassed);
}

TEST(PreflightChecksTest, AdminAckRequired) {
  PreflightInputs in = Healthy();
  in.target_version = "4.4.0";
  in.admin_gates = {{"ack-4.4-kubernetes-1.35-kernel-update", "kernel >= 5.8 and cgroup v2"},
                    {"ack-4.3-something-old", "concerns 4.3 only"}};
  CheckResult result = AdminAckRequired(in);
  EXPECT_EQ(result.state, CheckState::kFailed);
  EXPECT_NE(result.message.find("ack-4.4-kubernetes-1.35-kernel-update"), std::string::npos);
  EXPECT_EQ(result.message.find("ack-4.3-something-old"), std::string::npos);
  in.admin_acks = {{"ack-4.4-kubernetes-1.35-kernel-update", "false"}};
  EXPECT_EQ(StateOf(AdminAckRequired, in), CheckState::kFailed);
  in.admin_acks["ack-4.4-kubernetes-1.35-kernel-update"] = "true";
  EXPECT_EQ(StateOf(AdminAckRequired, in), CheckState::kPassed);
}

TEST(PreflightChecksTest, VersionUpgradePath) {
  PreflightInputs in = Healthy();
  EXPECT_EQ(StateOf(VersionUpgradePath, in), CheckState::kPassed);
  in.current_version = "3.18.2";  // 3.18 -> 4.3 is not a documented path
  CheckResult unsupported = VersionUpgradePath(in);
  EXPECT_EQ(unsupported.state, CheckState::kFailed);
  EXPECT_EQ(unsupported.reason, "UnsupportedUpgradePath");
  EXPECT_NE(unsupported.message.find("4.0, 4.1, 4.2"), std::string::npos);
  in.current_version = "4.3.0";
  EXPECT_EQ(VersionUpgradePath(in).reason, "NotAnUpgrade");
  in.current_version = "";
  EXPECT_EQ(StateOf(VersionUpgradePath, in), CheckState::kRetry);  // no result is not a pass
  in.current_version = "4.3.0";
  in.target_version = "4.3.1";  // a newer patch of the same minor
  EXPECT_EQ(StateOf(VersionUpgradePath, in), CheckState::kPassed);
}

TEST(PreflightChecksTest, KubernetesVersionSupported) {
  PreflightInputs in = Healthy();
  EXPECT_EQ(StateOf(KubernetesVersionSupported, in), CheckState::kPassed);
  in.nodes[1]["status"]["nodeInfo"]["kubeletVersion"] = "v1.30.4";  // the oldest node counts
  CheckResult old = KubernetesVersionSupported(in);
  EXPECT_EQ(old.state, CheckState::kFailed);
  EXPECT_NE(old.message.find("w-1"), std::string::npos);
  EXPECT_NE(old.message.find("1.31 to 1.34"), std::string::npos);
  in.nodes.clear();
  EXPECT_EQ(StateOf(KubernetesVersionSupported, in), CheckState::kRetry);
}

TEST(PreflightChecksTest, DockerRuntimeUnsupported) {
  PreflightInputs in = Healthy();
  EXPECT_EQ(StateOf(DockerRuntimeUnsupported, in), CheckState::kPassed);
  in.nodes[1]["status"]["nodeInfo"]["containerRuntimeVersion"] = "docker://20.10.24";
  CheckResult docker = DockerRuntimeUnsupported(in);
  EXPECT_EQ(docker.state, CheckState::kFailed);
  EXPECT_NE(docker.message.find("w-1"), std::string::npos);
}

TEST(PreflightChecksTest, ClusterRunning) {
  PreflightInputs in = Healthy();
  EXPECT_EQ(StateOf(ClusterRunning, in), CheckState::kPassed);
  in.machines.push_back({{"metadata", {{"name", "m2"}}}, {"status", {{"phase", "Failed"}}}});
  CheckResult machine = ClusterRunning(in);
  EXPECT_EQ(machine.state, CheckState::kFailed);
  EXPECT_NE(machine.message.find("m2 (Failed)"), std::string::npos);
  in = Healthy();
  in.cluster_object["status"]["phase"] = "Upgrading";
  EXPECT_EQ(ClusterRunning(in).reason, "ClusterNotRunning");
  in.cluster_object = nullptr;
  EXPECT_EQ(ClusterRunning(in).reason, "ClusterNotFound");
}

TEST(PreflightChecksTest, ClusterModuleStableAndModuleInfoStable) {
  PreflightInputs in = Healthy();
  EXPECT_EQ(StateOf(ClusterModuleStable, in), CheckState::kPassed);
  EXPECT_EQ(StateOf(ModuleInfoStable, in), CheckState::kPassed);
  in.module_infos.push_back(ModuleInfo("logging", "4.2.1", "4.2.0", "Running"));
  EXPECT_EQ(StateOf(ClusterModuleStable, in), CheckState::kRetry);  // settles by itself
  in.module_infos.back() = ModuleInfo("logging", "4.2.1", "4.2.1", "Failed");
  EXPECT_EQ(StateOf(ClusterModuleStable, in), CheckState::kPassed);
  CheckResult failed = ModuleInfoStable(in);
  EXPECT_EQ(failed.state, CheckState::kFailed);
  EXPECT_NE(failed.message.find("logging (Failed)"), std::string::npos);
}

TEST(PreflightChecksTest, ControlPlaneStaticPodsPresent) {
  PreflightInputs in = Healthy();
  EXPECT_EQ(StateOf(ControlPlaneStaticPodsPresent, in), CheckState::kPassed);
  in.kube_system_pods.pop_back();  // etcd-cp-1
  CheckResult missing = ControlPlaneStaticPodsPresent(in);
  EXPECT_EQ(missing.state, CheckState::kFailed);
  EXPECT_NE(missing.message.find("etcd-cp-1"), std::string::npos);
  in.nodes = {Node("w-1", "v1.32.3", "containerd://1.7.2", false)};
  EXPECT_EQ(StateOf(ControlPlaneStaticPodsPresent, in), CheckState::kRetry);
}

TEST(PreflightChecksTest, CustomEtcdBackupCronJobsAbsent) {
  PreflightInputs in = Healthy();
  in.cronjobs.push_back(Named("log-rotate", "kube-system"));  // not an etcd backup
  EXPECT_EQ(StateOf(CustomEtcdBackupCronJobsAbsent, in), CheckState::kPassed);
  in.cronjobs.push_back(Named("etcd-backup-nightly", "kube-system"));
  CheckResult custom = CustomEtcdBackupCronJobsAbsent(in);
  EXPECT_EQ(custom.state, CheckState::kFailed);
  EXPECT_NE(custom.message.find("kube-system/etcd-backup-nightly"), std::string::npos);
}

TEST(PreflightChecksTest, CRIUpgradePodsAbsent) {
  PreflightInputs in = Healthy();
  EXPECT_EQ(StateOf(CRIUpgradePodsAbsent, in), CheckState::kPassed);
  json pod = Named("cri-upgrade-w-1", "kube-system");
  pod["status"] = {{"phase", "Running"}};
  in.cri_upgrade_pods = {pod};
  CheckResult present = CRIUpgradePodsAbsent(in);
  EXPECT_EQ(present.state, CheckState::kFailed);
  EXPECT_NE(present.message.find("kube-system/cri-upgrade-w-1 (Running)"), std::string::npos);
}

TEST(PreflightChecksTest, PlatformLicense) {
  PreflightInputs in = Healthy();
  EXPECT_EQ(StateOf(PlatformLicense, in), CheckState::kPassed);
  in.license["data"]["notAfter"] = common::EncodeBase64("2020-01-01T00:00:00Z");
  EXPECT_EQ(PlatformLicense(in).reason, "LicenseExpired");
  in.license["data"]["notAfter"] = common::EncodeBase64("next tuesday");
  EXPECT_EQ(PlatformLicense(in).reason, "LicenseUnreadable");
  in.license = nullptr;
  EXPECT_EQ(PlatformLicense(in).reason, "LicenseMissing");
}

TEST(PreflightChecksTest, WorkloadClustersKubernetesCompatibleRule5) {
  PreflightInputs in = Healthy();
  EXPECT_EQ(StateOf(WorkloadClustersKubernetesCompatible, in), CheckState::kPassed);
  in.clusters.push_back(
      {{"metadata", {{"name", "work-old"}}}, {"status", {{"version", "v1.30.9"}}}});
  CheckResult outside = WorkloadClustersKubernetesCompatible(in);
  EXPECT_EQ(outside.state, CheckState::kFailed);
  EXPECT_NE(outside.message.find("work-old (v1.30.9)"), std::string::npos);
  // From 4.0 to 4.2 the 4.3 range does not apply, but the 4.0 source's minimum (1.31) does.
  in.current_version = "4.0.3";
  in.target_version = "4.2.0";
  EXPECT_EQ(StateOf(WorkloadClustersKubernetesCompatible, in), CheckState::kFailed);
  in.clusters.back()["status"]["version"] = "v1.31.2";
  EXPECT_EQ(StateOf(WorkloadClustersKubernetesCompatible, in), CheckState::kPassed);
}

TEST(PreflightChecksTest, GlobalVersionReachedForWorkloadClusters) {
  PreflightInputs in = Healthy();
  in.cluster = "work-1";
  in.current_version = "4.2.1";
  in.global_current_version = "4.2.1";
  in.target_version = "4.3.0";
  CheckResult early = GlobalVersionReached(in);
  EXPECT_EQ(early.state, CheckState::kFailed);
  EXPECT_EQ(early.reason, "GlobalNotUpgraded");
  in.global_current_version = "4.3.0";
  EXPECT_EQ(StateOf(GlobalVersionReached, in), CheckState::kPassed);
  // The check applies to workload preflights only; rule 5 only to the global's.
  const PreflightReport report = RunPreflight(in, {});
  bool has_global_check = false, has_rule5 = false;
  for (const CheckResult& result : report.results) {
    has_global_check |= result.name == "GlobalVersionReached";
    has_rule5 |= result.name == "WorkloadClustersKubernetesCompatible";
  }
  EXPECT_TRUE(has_global_check);
  EXPECT_FALSE(has_rule5);
}

TEST(PreflightChecksTest, DisasterRecoveryOrderStandbyFirst) {
  PreflightInputs in = Healthy();
  in.standby_version = "4.2.1";
  CheckResult primary_first = DisasterRecoveryOrder(in);
  EXPECT_EQ(primary_first.state, CheckState::kFailed);
  EXPECT_NE(primary_first.message.find("upgrade the standby to 4.3.0 first"), std::string::npos);
  in.standby_version = "4.3.0";
  EXPECT_EQ(StateOf(DisasterRecoveryOrder, in), CheckState::kPassed);
  in.standby_version = "";
  EXPECT_EQ(StateOf(DisasterRecoveryOrder, in), CheckState::kRetry);
}

// cvo-config's `preflight` value comes from the cluster: bounded, one line, never crashing.
TEST(PreflightChecksTest, DisabledChecksValueIsBounded) {
  auto fine = ParseDisabledChecks("disabled: [PlatformLicense]\n");
  ASSERT_TRUE(fine.ok()) << fine.status();
  EXPECT_EQ(*fine, std::vector<std::string>{"PlatformLicense"});
  const struct {
    std::string text, expected;
  } cases[] = {
      {"disabled: " + std::string(100000, '[') + std::string(100000, ']'),
       "the value nests deeper than 16 levels"},
      {"disabled: [" + std::string(2 << 20, 'a') + "]", "more than the 1048576 allowed"},
      {"disabled: [{a: b}]", "cvo-config key preflight is not YAML"},
      {"disabled: 3", "disabled is not a list"},
  };
  for (const auto& c : cases) {
    auto refused = ParseDisabledChecks(c.text);
    ASSERT_FALSE(refused.ok()) << c.expected;
    const std::string message(refused.status().message());
    EXPECT_NE(message.find(c.expected), std::string::npos) << message.substr(0, 300);
    EXPECT_LT(message.size(), 400u) << message.substr(0, 300);
  }
}

TEST(PreflightChecksTest, OverallResultAndDisabledChecks) {
  PreflightInputs in = Healthy();
  in.license = nullptr;                             // Failed
  in.module_infos[0]["spec"]["version"] = "4.3.0";  // Retry (moving)
  PreflightReport report = RunPreflight(in, {});
  EXPECT_EQ(report.overall, CheckState::kFailed);
  report = RunPreflight(in, {"PlatformLicense", "NoSuchCheck"});
  EXPECT_EQ(report.overall, CheckState::kRetry);  // a Retry is never reported as passed
  EXPECT_EQ(report.disabled, std::vector<std::string>{"PlatformLicense"});
  ASSERT_EQ(report.notes.size(), 1u);
  EXPECT_NE(report.notes[0].find("NoSuchCheck"), std::string::npos);
  const std::string text = FormatPreflightReport(report);
  EXPECT_NE(text.find("Summary\n"), std::string::npos);
  EXPECT_NE(text.find("\nChecks\n"), std::string::npos);
  EXPECT_NE(text.find("Result:           Retry"), std::string::npos);
  EXPECT_NE(text.find("Disabled:         PlatformLicense"), std::string::npos);
  // Nothing ran at all: no result, not a pass.
  std::vector<std::string> everything;
  for (const PreflightCheck& check : AllPreflightChecks()) everything.push_back(check.name);
  EXPECT_EQ(RunPreflight(Healthy(), everything).overall, CheckState::kRetry);
}

}  // namespace
}  // namespace upgrade
