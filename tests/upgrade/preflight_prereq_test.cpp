// The §2 prerequisite checks (through the API and node-local), table-driven: for each, a
// passing and a failing case over hand-built objects, which checks apply to which versions,
// that advisory results never block, and the node-local facts read from a directory tree.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "support/temp_dir.h"
#include "upgrade/preflight_check.h"
#include "upgrade/preflight_node_local.h"
#include "upgrade/preflight_runner.h"

namespace upgrade {
namespace {

using nlohmann::json;

json Node(const std::string& name, const std::string& kernel) {
  return {{"metadata", {{"name", name}, {"labels", {{"kubernetes.io/arch", "amd64"}}}}},
          {"status", {{"nodeInfo", {{"kernelVersion", kernel}}}}}};
}

json Module(const std::string& module, const std::string& cluster) {
  return {{"metadata",
           {{"name", cluster + "-0f3a"},
            {"labels", {{"cpaas.io/module-name", module}, {"cpaas.io/cluster-name", cluster}}}}},
          {"spec", {{"version", "1.0.0"}}},
          {"status", {{"version", "1.0.0"}, {"phase", "Running"}}}};
}

json Istiod(const std::string& image) {
  return {
      {"metadata", {{"name", "istiod-1-22"}, {"namespace", "istio-system"}}},
      {"spec",
       {{"template", {{"spec", {{"containers", {{{"name", "discovery"}, {"image", image}}}}}}}}}}};
}

json EsPod(const std::string& image) {
  return {{"metadata",
           {{"name", "cpaas-elasticsearch-0"},
            {"namespace", "cpaas-system"},
            {"labels", {{"service_name", "cpaas-elasticsearch"}}}}},
          {"spec", {{"containers", {{{"name", "es"}, {"image", image}}}}}}};
}

json NamedObject(const std::string& name) { return {{"metadata", {{"name", name}}}}; }

NodeLocalFacts GoodNode() {
  NodeLocalFacts node;
  node.control_plane = true;
  node.host = "cp-1";
  node.minio_dir = "/cpaas/minio";
  node.minio_free_bytes = 200'000'000'000;
  node.package_dir = "/root/core";
  node.package_free_bytes = 300'000'000'000;
  node.cgroup_dir = "/sys/fs/cgroup";
  node.cgroup_fs_type = kCgroup2Magic;
  return node;
}

// Global 4.0.2 -> 4.2.0 (or as a case sets), nothing installed that any check minds.
PreflightInputs Base() {
  PreflightInputs in;
  in.cluster = "global";
  in.current_version = "4.0.2";
  in.target_version = "4.2.0";
  in.nodes = {Node("cp-1", "5.14.0-362.el9.x86_64"), Node("w-1", "6.1.0-13-amd64")};
  in.node = GoodNode();
  return in;
}

struct Case {
  const char* label;
  CheckResult (*check)(const PreflightInputs&);
  std::function<void(PreflightInputs&)> setup;
  CheckState want;
  const char* policy;    // kRequired / kAdvisory
  const char* contains;  // in the message ("" none)
};

const std::vector<Case>& Cases() {
  static const std::vector<Case> kCases = {
      // 4.4: every node's kernel >= 5.8.
      {"kernel ok", NodeKernelVersion, [](PreflightInputs&) {}, CheckState::kPassed, kRequired,
       "5.8"},
      {"kernel old", NodeKernelVersion,
       [](PreflightInputs& in) { in.nodes.push_back(Node("old-1", "4.18.0-553.el8.x86_64")); },
       CheckState::kFailed, kRequired, "old-1 (4.18.0-553.el8.x86_64)"},
      {"kernel 5.10 is not below 5.8", NodeKernelVersion,
       [](PreflightInputs& in) { in.nodes = {Node("n", "5.10.0-28-amd64")}; }, CheckState::kPassed,
       kRequired, ""},
      {"kernel unknown", NodeKernelVersion, [](PreflightInputs& in) { in.nodes = {NamedObject("bare")}; },
       CheckState::kRetry, kRequired, "bare"},
      // CostManager / Kubecost.
      {"no cost plugins", CostManagementUninstalled, [](PreflightInputs&) {}, CheckState::kPassed,
       kRequired, ""},
      {"kubecost on a workload cluster", CostManagementUninstalled,
       [](PreflightInputs& in) { in.all_module_infos = {Module("kubecost", "work-1")}; },
       CheckState::kFailed, kRequired, "kubecost (work-1-0f3a) on work-1"},
      {"costmanager", CostManagementUninstalled,
       [](PreflightInputs& in) { in.all_module_infos = {Module("costmanager", "global")}; },
       CheckState::kFailed, kRequired, "uninstall"},
      // Istio: 1.20 from 3.16, 1.22 from 3.18.
      {"istio 1.22 from 3.18", IstioVersionSupported,
       [](PreflightInputs& in) {
         in.current_version = "3.18.1";
         in.istio_deployments = {Istiod("reg/asm/pilot:1.22.3")};
       },
       CheckState::kPassed, kRequired, "1.22"},
      {"istio 1.20 from 3.18", IstioVersionSupported,
       [](PreflightInputs& in) {
         in.current_version = "3.18.1";
         in.istio_deployments = {Istiod("reg:5000/asm/pilot:1.20.8@sha256:00")};
       },
       CheckState::kFailed, kRequired, "Istio must run 1.22"},
      {"istio 1.20 from 3.16", IstioVersionSupported,
       [](PreflightInputs& in) {
         in.current_version = "3.16.2";
         in.istio_deployments = {Istiod("reg/asm/pilot:1.20.8")};
       },
       CheckState::kPassed, kRequired, ""},
      {"istio 1.19 from 3.16 (version label)", IstioVersionSupported,
       [](PreflightInputs& in) {
         in.current_version = "3.16.2";
         json deployment = Istiod("reg/asm/pilot:latest");
         deployment["metadata"]["labels"] = {{"operator.istio.io/version", "1.19.4"}};
         in.istio_deployments = {deployment};
       },
       CheckState::kFailed, kRequired, "1.20"},
      {"no istio", IstioVersionSupported,
       [](PreflightInputs& in) { in.current_version = "3.18.1"; }, CheckState::kPassed, kRequired,
       "no Istio"},
      // ClickHouse from 3.16.
      {"no clickhouse", ClickHouseUninstalled, [](PreflightInputs&) {}, CheckState::kPassed,
       kRequired, ""},
      {"clickhouse", ClickHouseUninstalled,
       [](PreflightInputs& in) {
         in.current_version = "3.16.2";
         in.all_module_infos = {Module("clickhouse-operator", "global")};
       },
       CheckState::kFailed, kRequired, "clickhouse-operator"},
      // Elasticsearch v6: a warning.
      {"es 7", ElasticsearchV6,
       [](PreflightInputs& in) { in.elasticsearch_pods = {EsPod("reg/ait/es:v7.10.2")}; },
       CheckState::kPassed, kRequired, ""},
      {"es 6", ElasticsearchV6,
       [](PreflightInputs& in) { in.elasticsearch_pods = {EsPod("reg/ait/es:6.8.23")}; },
       CheckState::kFailed, kAdvisory, "pre-upgrade.html"},
      // Node isolation on 4.2: a warning.
      {"no isolation", PlatformNodeIsolation, [](PreflightInputs&) {}, CheckState::kPassed,
       kRequired, ""},
      {"isolation label", PlatformNodeIsolation,
       [](PreflightInputs& in) {
         in.nodes[0]["metadata"]["labels"]["acp.cpaas.io/node-group-name"] = "platform";
       },
       CheckState::kFailed, kAdvisory, "contact technical support"},
      {"isolation taint", PlatformNodeIsolation,
       [](PreflightInputs& in) {
         in.nodes[1]["spec"]["taints"] = {{{"key", "nodeGroup"}, {"effect", "NoSchedule"}}};
       },
       CheckState::kFailed, kAdvisory, "w-1"},
      // Log Essentials.
      {"no log storage", LogEssentialsPushed, [](PreflightInputs&) {}, CheckState::kPassed,
       kRequired, ""},
      {"log storage, essentials pushed", LogEssentialsPushed,
       [](PreflightInputs& in) {
         in.all_module_infos = {Module("logcenter", "global")};
         in.module_plugins = {NamedObject("log-essentials")};
       },
       CheckState::kPassed, kRequired, "log-essentials"},
      {"log storage, essentials missing", LogEssentialsPushed,
       [](PreflightInputs& in) { in.all_module_infos = {Module("logclickhouse", "work-1")}; },
       CheckState::kFailed, kRequired, "violet push"},
      // TopoLVM.
      {"no topolvm", TopolvmPackagePushed, [](PreflightInputs&) {}, CheckState::kPassed, kRequired,
       ""},
      {"topolvm pushed", TopolvmPackagePushed,
       [](PreflightInputs& in) {
         in.all_module_infos = {Module("topolvm-operator", "work-1")};
         in.topolvm_versions = {NamedObject("topolvm-operator.v4.2.3")};
       },
       CheckState::kPassed, kRequired, "4.2"},
      {"topolvm not pushed", TopolvmPackagePushed,
       [](PreflightInputs& in) {
         in.all_module_infos = {Module("topolvm-operator", "work-1"),
                                Module("topolvm-operator", "work-2")};
         in.topolvm_versions = {NamedObject("topolvm-operator.v4.1.0")};
       },
       CheckState::kFailed, kRequired, "--clusters \"work-1,work-2\""},
      // Node-local.
      {"minio ok", MinioFreeSpace, [](PreflightInputs&) {}, CheckState::kPassed, kRequired,
       "200.0 GB"},
      {"minio low", MinioFreeSpace,
       [](PreflightInputs& in) { in.node->minio_free_bytes = 119'000'000'000; },
       CheckState::kFailed, kRequired, "needs 120.0 GB"},
      {"minio missing", MinioFreeSpace,
       [](PreflightInputs& in) {
         in.node->minio_free_bytes.reset();
         in.node->minio_error = "No such file or directory";
       },
       CheckState::kRetry, kRequired, "No such file"},
      {"not on a control-plane node", MinioFreeSpace,
       [](PreflightInputs& in) { in.node->control_plane = false; }, CheckState::kRetry, kAdvisory,
       "global control-plane node"},
      {"extraction ok", ExtractionDiskFreeSpace, [](PreflightInputs&) {}, CheckState::kPassed,
       kRequired, ""},
      {"extraction low", ExtractionDiskFreeSpace,
       [](PreflightInputs& in) { in.node->package_free_bytes = 100'000'000'000; },
       CheckState::kFailed, kRequired, "needs 250.0 GB"},
      {"extracted images count as used", ExtractionDiskFreeSpace,
       [](PreflightInputs& in) {
         in.node->package_free_bytes = 100'000'000'000;
         in.node->extracted_images_bytes = 160'000'000'000;
       },
       CheckState::kPassed, kRequired, ""},
      {"images read from the archive", ExtractionDiskFreeSpace,
       [](PreflightInputs& in) {
         in.node->package_free_bytes = 1;
         in.node->images_archive = "/root/core/images.tar.zst";
       },
       CheckState::kPassed, kRequired, "skipped"},
      {"cgroup v2", CgroupV2, [](PreflightInputs&) {}, CheckState::kPassed, kRequired, "cgroup2fs"},
      {"cgroup v1", CgroupV2,
       [](PreflightInputs& in) {
         in.node->cgroup_fs_type = 0x01021994; /* tmpfs */
       },
       CheckState::kFailed, kRequired, "systemd.unified_cgroup_hierarchy=1"},
  };
  return kCases;
}

TEST(PreflightPrereqTest, EachCheckPassesAndFails) {
  for (const Case& c : Cases()) {
    PreflightInputs in = Base();
    c.setup(in);
    const CheckResult result = c.check(in);
    EXPECT_EQ(result.state, c.want) << c.label << ": " << result.message;
    EXPECT_EQ(result.policy, c.policy) << c.label;
    EXPECT_NE(result.message.find(c.contains), std::string::npos)
        << c.label << ": " << result.message;
  }
}

// Which prerequisites concern which upgrade (names as listed in the report).
std::vector<std::string> Listed(const PreflightInputs& in) {
  std::vector<std::string> names;
  for (const CheckResult& result : RunPreflight(in, {}).results) names.push_back(result.name);
  return names;
}

bool Has(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

TEST(PreflightPrereqTest, ChecksApplyAsTheDocsScopeThem) {
  PreflightInputs in = Base();  // 4.0 -> 4.2
  auto names = Listed(in);
  EXPECT_TRUE(Has(names, "CostManagementUninstalled"));
  EXPECT_TRUE(Has(names, "PlatformNodeIsolation"));
  EXPECT_TRUE(Has(names, "LogEssentialsPushed"));
  EXPECT_TRUE(Has(names, "TopolvmPackagePushed"));  // 4.2: from any version
  EXPECT_TRUE(Has(names, "MinioFreeSpace"));
  EXPECT_FALSE(Has(names, "NodeKernelVersion"));
  EXPECT_FALSE(Has(names, "CgroupV2"));
  EXPECT_FALSE(Has(names, "IstioVersionSupported"));
  EXPECT_FALSE(Has(names, "ClickHouseUninstalled"));

  in.current_version = "4.1.1";  // 4.1 -> 4.3: TopoLVM only from 4.0 (master), §11
  in.target_version = "4.3.0";
  names = Listed(in);
  EXPECT_FALSE(Has(names, "TopolvmPackagePushed"));
  EXPECT_FALSE(Has(names, "PlatformNodeIsolation"));
  EXPECT_TRUE(Has(names, "LogEssentialsPushed"));  // new to a platform before 4.2
  in.current_version = "4.2.1";
  EXPECT_FALSE(Has(Listed(in), "LogEssentialsPushed"));  // 4.2 already has it
  in.current_version = "4.0.5";
  EXPECT_TRUE(Has(Listed(in), "TopolvmPackagePushed"));

  in.current_version = "4.3.0";
  in.target_version = "4.4.0";
  names = Listed(in);
  EXPECT_TRUE(Has(names, "NodeKernelVersion"));
  EXPECT_TRUE(Has(names, "CgroupV2"));

  in.current_version = "3.16.2";
  in.target_version = "4.0.0";
  names = Listed(in);
  EXPECT_TRUE(Has(names, "IstioVersionSupported"));
  EXPECT_TRUE(Has(names, "ClickHouseUninstalled"));
  EXPECT_TRUE(Has(names, "ElasticsearchV6"));

  // Node-local checks: only on the global preflight, only when the node was read.
  in.node.reset();
  EXPECT_FALSE(Has(Listed(in), "MinioFreeSpace"));
  in = Base();
  in.cluster = "work-1";
  EXPECT_FALSE(Has(Listed(in), "MinioFreeSpace"));
  EXPECT_FALSE(Has(Listed(in), "PlatformNodeIsolation"));
}

TEST(PreflightPrereqTest, WarningsNeverBlock) {
  PreflightInputs in = Base();
  in.node->control_plane = false;  // node-local: advisory "run it there"
  in.nodes[0]["metadata"]["labels"]["acp.cpaas.io/node-group-name"] = "platform";
  PreflightReport report = RunPreflight(in, {});
  int warnings = 0;
  for (const CheckResult& result : report.results) {
    if (result.policy == kAdvisory && result.state != CheckState::kPassed) ++warnings;
  }
  EXPECT_EQ(warnings, 3);  // PlatformNodeIsolation, MinioFreeSpace, ExtractionDiskFreeSpace
  // Shown as warnings: "Warn" in Checks, counted apart in the Summary.
  report.results.erase(std::remove_if(report.results.begin(), report.results.end(),
                                      [](const CheckResult& r) { return r.policy == kRequired; }),
                       report.results.end());
  EXPECT_NE(FormatPreflightReport(report).find("Warn"), std::string::npos);
  EXPECT_NE(FormatPreflightReport(report).find("3 warnings"), std::string::npos);

  // A run where every Required check passes and a warning is raised is Passed.
  PreflightInputs quiet = Base();
  quiet.nodes[0]["metadata"]["labels"]["acp.cpaas.io/node-group-name"] = "platform";
  std::vector<std::string> disabled = {"ResourcePatchUpgradeable",
                                       "ClusterVersionUpgradeable",
                                       "AdminAckRequired",
                                       "VersionUpgradePath",
                                       "KubernetesVersionSupported",
                                       "DockerRuntimeUnsupported",
                                       "ClusterRunning",
                                       "ClusterModuleStable",
                                       "ControlPlaneStaticPodsPresent",
                                       "CustomEtcdBackupCronJobsAbsent",
                                       "CRIUpgradePodsAbsent",
                                       "ModuleInfoStable",
                                       "PlatformLicense",
                                       "WorkloadClustersKubernetesCompatible"};
  const PreflightReport passed = RunPreflight(quiet, disabled);
  EXPECT_EQ(passed.overall, CheckState::kPassed) << FormatPreflightReport(passed);
  EXPECT_NE(FormatPreflightReport(passed).find("1 warnings"), std::string::npos);
  const json status = PreflightStatus(passed);
  bool recorded = false;
  for (const json& check : status["checks"]) {
    if (check["name"] == "PlatformNodeIsolation") {
      recorded = check["policy"] == "Advisory" && check["state"] == "Failed";
    }
  }
  EXPECT_TRUE(recorded) << status.dump();
}

void Touch(const std::string& path, size_t bytes = 0) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << std::string(bytes, 'x');
}

TEST(PreflightPrereqTest, NodeLocalFactsComeFromTheGivenPaths) {
  testing_support::TempDir root, package;
  NodeLocalPaths paths;
  paths.root = root.path();
  paths.package_dir = package.path();
  // Not a control-plane node, no /cpaas/minio.
  NodeLocalFacts facts = ReadNodeLocalFacts(paths);
  EXPECT_FALSE(facts.control_plane);
  EXPECT_FALSE(facts.minio_free_bytes.has_value());
  EXPECT_FALSE(facts.minio_error.empty());
  EXPECT_TRUE(facts.package_free_bytes.has_value());
  EXPECT_EQ(facts.minio_dir, root.path() + "/cpaas/minio");

  Touch(root.File("etc/kubernetes/manifests/kube-apiserver.yaml"));
  std::filesystem::create_directories(root.File("cpaas/minio"));
  std::filesystem::create_directories(root.File("sys/fs/cgroup"));
  Touch(package.File("images/blobs/sha256/aa"), 1000);
  Touch(package.File("images/index.json"), 24);
  facts = ReadNodeLocalFacts(paths);
  EXPECT_TRUE(facts.control_plane);
  EXPECT_TRUE(facts.minio_free_bytes.has_value());
  EXPECT_EQ(facts.extracted_images_bytes, 1024u);
  EXPECT_TRUE(facts.images_archive.empty());
  EXPECT_TRUE(facts.cgroup_fs_type.has_value());  // a plain directory: not cgroup2fs

  // images/ absent and an archive beside upgrade.sh: read straight from it.
  std::filesystem::remove_all(package.File("images"));
  Touch(package.File("images.tar.zst"), 10);
  facts = ReadNodeLocalFacts(paths);
  EXPECT_EQ(facts.images_archive, package.File("images.tar.zst"));
  PreflightInputs in = Base();
  in.node = facts;
  EXPECT_NE(ExtractionDiskFreeSpace(in).message.find("skipped"), std::string::npos);
}

}  // namespace
}  // namespace upgrade
