// The prerequisites of acp-spec.md §2 that the docs leave to the operator, read through the
// API: kernels for 4.4, deprecated or blocking plugins, Istio, Elasticsearch v6, node
// isolation, and the packages that must be pushed first. How each thing is detected (the docs
// do not say) is listed in docs/preflight-checks.md; the names live in the tables below.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <string_view>

#include "k8s/json_fields.h"
#include "platform/readers.h"
#include "upgrade/name_list.h"
#include "upgrade/preflight_check.h"
#include "upgrade/topolvm_steps.h"
#include "upgrade/version_rules.h"

namespace upgrade {

using nlohmann::json;

namespace {

// Detection tables: substrings of a ModuleInfo's module name (or its name), lowercase.
const std::vector<std::string_view> kCostManagement = {"kubecost", "costmanager", "cost-manager"};
const std::vector<std::string_view> kClickHouse = {"clickhouse"};
const std::vector<std::string_view> kLogStorage = {"log-storage", "logstorage", "logcenter",
                                                   "log-clickhouse", "logclickhouse"};
const std::vector<std::string_view> kTopolvm = {"topolvm"};
// Substrings of a ModulePlugin's name: Log Essentials pushed (violet push creates it on global).
const std::vector<std::string_view> kLogEssentials = {"log-essentials", "logessentials"};
constexpr const char* kIsolationLabel = "acp.cpaas.io/node-group-name";
constexpr const char* kIsolationTaint = "nodeGroup";
constexpr const char* kPreUpgradeDocs40 =
    "https://docs.alauda.io/container_platform/4.0/upgrade/pre-upgrade.html";

// The ModuleInfos a check looks at: on the global preflight every cluster's (these
// prerequisites gate the platform's upgrade), on a workload preflight that cluster's own.
const std::vector<json>& ModulesInScope(const PreflightInputs& in) {
  return in.global() && !in.all_module_infos.empty() ? in.all_module_infos : in.module_infos;
}

// "<module> on <cluster>" for each ModuleInfo matching `needles`.
std::vector<std::string> FindModules(const PreflightInputs& in,
                                     const std::vector<std::string_view>& needles,
                                     std::vector<std::string>* clusters = nullptr) {
  std::vector<std::string> found;
  for (const json& info : ModulesInScope(in)) {
    const platform::ModuleInfo module = platform::ModuleInfoOf(info);
    if (!platform::ModuleNamed(module, needles)) continue;
    const std::string cluster = module.cluster.empty() ? in.cluster : module.cluster;
    found.push_back(fmt::format("{} ({}) on {}",
                                module.module.empty() ? module.name : module.module, module.name,
                                cluster));
    if (clusters && std::find(clusters->begin(), clusters->end(), cluster) == clusters->end()) {
      clusters->push_back(cluster);
    }
  }
  return found;
}

// "registry/istio/pilot:1.22.3@sha256:..." -> "1.22.3"; "" without a tag.
std::string ImageTag(std::string image) {
  image = image.substr(0, image.find('@'));
  const size_t slash = image.rfind('/');
  const size_t colon = image.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return "";
  return image.substr(colon + 1);
}

std::string FirstImage(const json& object, const std::string& pod_spec) {
  return k8s::StringAt(object, pod_spec + "/containers/0/image");
}

}  // namespace

bool TargetAtLeast(const PreflightInputs& in, const std::string& minor) {
  const std::string target = MinorOf(in.target_version);
  return !target.empty() && !VersionLess(target, minor);
}

bool CurrentMinorIs(const PreflightInputs& in, const std::string& minor) {
  return MinorOf(in.current_version) == minor;
}

// §2 "Conditional pushes", §11: the docs of 4.2 ask for the TopoLVM package when going to
// 4.2 from anything; master only for 4.0 -> 4.3. Each target follows its own docs.
bool TopolvmPushRequired(const PreflightInputs& in) {
  const std::string target = MinorOf(in.target_version);
  return target == "4.2" || (target == "4.3" && CurrentMinorIs(in, "4.0"));
}

// Reads: Nodes' status.nodeInfo.kernelVersion. 4.4 runs Kubernetes 1.35, which needs kernel
// 5.8 or later on every node (§2, `uname -r`). A node without a kernel version: Retry.
CheckResult NodeKernelVersion(const PreflightInputs& in) {
  const std::string name = "NodeKernelVersion";
  if (in.nodes.empty()) {
    return Retry(name, "NoNodes", fmt::format("no Node objects read from cluster {}", in.cluster));
  }
  std::vector<std::string> old, unknown;
  for (const json& object : in.nodes) {
    const platform::Node node = platform::NodeOf(object);
    if (MinorOf(node.kernel).empty()) {
      unknown.push_back(node.name);
    } else if (VersionLess(MinorOf(node.kernel), "5.8")) {
      old.push_back(fmt::format("{} ({})", node.name, node.kernel));
    }
  }
  if (!old.empty()) {
    return Failed(name, "KernelTooOld",
                  fmt::format("{} needs Linux kernel 5.8 or later on every node; older: {} — "
                              "upgrade those nodes' kernel (uname -r) first",
                              in.target_version, JoinNames(old)));
  }
  if (!unknown.empty()) {
    return Retry(
        name, "KernelVersionUnknown",
        fmt::format("nodes without status.nodeInfo.kernelVersion: {}", JoinNames(unknown)));
  }
  return Passed(name, fmt::format("every node of {} runs kernel 5.8 or later", in.cluster));
}

// Reads: ModuleInfos (every cluster's on the global preflight). CostManager and Kubecost
// are deprecated and must be uninstalled before the upgrade (§2, docs 4.1).
CheckResult CostManagementUninstalled(const PreflightInputs& in) {
  const std::string name = "CostManagementUninstalled";
  const std::vector<std::string> found = FindModules(in, kCostManagement);
  if (!found.empty()) {
    return Failed(name, "DeprecatedPluginInstalled",
                  fmt::format("CostManager/Kubecost are deprecated and must be uninstalled "
                              "first: {} — uninstall each in Marketplace > Cluster Plugins "
                              "(or kubectl delete moduleinfo <name> on global)",
                              JoinNames(found)));
  }
  return Passed(name, "neither CostManager nor Kubecost is installed");
}

// Reads: Deployments in istio-system whose name starts with istiod; the version from label
// app.kubernetes.io/version, else operator.istio.io/version, else the image tag. From 3.16
// Istio must already run 1.20, from 3.18 1.22 (§2).
CheckResult IstioVersionSupported(const PreflightInputs& in) {
  const std::string name = "IstioVersionSupported";
  const std::string needed = CurrentMinorIs(in, "3.16") ? "1.20" : "1.22";
  std::vector<std::string> old, unknown, seen;
  for (const json& deployment : in.istio_deployments) {
    const std::string deployment_name = k8s::NameOf(deployment);
    if (!deployment_name.starts_with("istiod")) continue;
    std::string version = k8s::LabelOf(deployment, "app.kubernetes.io/version");
    if (version.empty()) version = k8s::LabelOf(deployment, "operator.istio.io/version");
    if (version.empty()) version = ImageTag(FirstImage(deployment, "/spec/template/spec"));
    const std::string described = fmt::format("istio-system/{} ({})", deployment_name,
                                              version.empty() ? "version unknown" : version);
    if (MinorOf(version).empty()) {
      unknown.push_back(described);
    } else if (VersionLess(MinorOf(version), needed)) {
      old.push_back(described);
    } else {
      seen.push_back(described);
    }
  }
  if (!old.empty()) {
    return Failed(name, "IstioTooOld",
                  fmt::format("from {} Istio must run {} before the upgrade: {} — upgrade Istio "
                              "(Service Mesh) on cluster {} first",
                              MinorOf(in.current_version), needed, JoinNames(old), in.cluster));
  }
  if (!unknown.empty()) {
    return Retry(name, "IstioVersionUnknown",
                 fmt::format("cannot tell the Istio version of {}", JoinNames(unknown)));
  }
  return Passed(name, seen.empty() ? fmt::format("no Istio (istiod) on cluster {}", in.cluster)
                                   : fmt::format("Istio {} or later: {}", needed, JoinNames(seen)));
}

// Reads: ModuleInfos. From 3.16 ClickHouse must be uninstalled before the upgrade and
// installed again afterwards (§2, docs 4.0).
CheckResult ClickHouseUninstalled(const PreflightInputs& in) {
  const std::string name = "ClickHouseUninstalled";
  const std::vector<std::string> found = FindModules(in, kClickHouse);
  if (!found.empty()) {
    return Failed(name, "ClickHouseInstalled",
                  fmt::format("from 3.16 ClickHouse must be uninstalled before the upgrade (and "
                              "installed again after it): {} — uninstall it in Marketplace > "
                              "Cluster Plugins",
                              JoinNames(found)));
  }
  return Passed(name, "ClickHouse is not installed");
}

// Reads: Pods labelled service_name=cpaas-elasticsearch (the platform's log storage), their
// first container's image tag. Elasticsearch v6 cannot be upgraded to v8: a warning that
// points at the docs' checklist (§2, docs 4.0).
CheckResult ElasticsearchV6(const PreflightInputs& in) {
  const std::string name = "ElasticsearchV6";
  std::vector<std::string> v6;
  for (const json& pod : in.elasticsearch_pods) {
    std::string tag = ImageTag(FirstImage(pod, "/spec"));
    if (tag.starts_with("v")) tag.erase(0, 1);
    if (tag.starts_with("6.")) {
      v6.push_back(fmt::format("{}/{} ({})", k8s::StringAt(pod, "/metadata/namespace"),
                               k8s::NameOf(pod), tag));
    }
  }
  if (!v6.empty()) {
    return Advisory(
        Failed(name, "ElasticsearchV6",
               fmt::format("Elasticsearch v6 cannot be upgraded to v8: {} — follow the checklist "
                           "output and the Elasticsearch notes of {}",
                           JoinNames(v6), kPreUpgradeDocs40)));
  }
  return Passed(name, "no Elasticsearch v6 (Pods service_name=cpaas-elasticsearch)");
}

// Reads: the global cluster's Nodes, label acp.cpaas.io/node-group-name or a nodeGroup taint
// (node isolation policies). 4.2 asks to contact support first when it is enabled: a warning.
CheckResult PlatformNodeIsolation(const PreflightInputs& in) {
  const std::string name = "PlatformNodeIsolation";
  std::vector<std::string> isolated;
  for (const json& node : in.nodes) {
    bool tainted = false;
    const json::json_pointer taints("/spec/taints");
    if (node.is_object() && node.contains(taints) && node.at(taints).is_array()) {
      for (const json& taint : node.at(taints)) {
        tainted = tainted || k8s::StringField(taint, "key") == kIsolationTaint;
      }
    }
    const std::string group = k8s::LabelOf(node, kIsolationLabel);
    if (!group.empty() || tainted) {
      isolated.push_back(
          fmt::format("{} ({})", k8s::NameOf(node), group.empty() ? "taint" : group));
    }
  }
  if (!isolated.empty()) {
    return Advisory(Failed(name, "NodeIsolationEnabled",
                           fmt::format("node isolation is enabled on the global cluster ({}) — "
                                       "the 4.2 docs ask you to contact technical support "
                                       "before upgrading",
                                       JoinNames(isolated))));
  }
  return Passed(name, "no node isolation on the global cluster");
}

// Reads: ModuleInfos (log storage) and ModulePlugins on global (Log Essentials, created there
// when its package is pushed). Going to 4.2 or later from before 4.2 with log storage
// installed: Log Essentials must be pushed first (§2).
CheckResult LogEssentialsPushed(const PreflightInputs& in) {
  const std::string name = "LogEssentialsPushed";
  const std::vector<std::string> storage = FindModules(in, kLogStorage);
  if (storage.empty()) return Passed(name, "no log storage plugin installed");
  for (const json& plugin : in.module_plugins) {
    std::string plugin_name = k8s::NameOf(plugin);
    for (char& c : plugin_name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (std::string_view needle : kLogEssentials) {
      if (plugin_name.find(needle) != std::string::npos) {
        return Passed(
            name, fmt::format("Log Essentials is pushed (ModulePlugin {})", k8s::NameOf(plugin)));
      }
    }
  }
  return Failed(name, "LogEssentialsNotPushed",
                fmt::format("log storage is installed ({}) but the Log Essentials plugin is not "
                            "pushed — push its package for {} first: violet push "
                            "<log-essentials package> --platform-address ... --platform-token ...",
                            JoinNames(storage), in.target_version));
}

// Reads: ModuleInfos (TopoLVM installed) and the TopoLVM ArtifactVersions in cpaas-system on
// global (label cpaas.io/artifact-version=operatorhub-topolvm-operator; one whose name holds
// the target's major.minor is the pushed package). Applies as TopolvmPushRequired says.
CheckResult TopolvmPackagePushed(const PreflightInputs& in) {
  const std::string name = "TopolvmPackagePushed";
  std::vector<std::string> clusters;
  const std::vector<std::string> found = FindModules(in, kTopolvm, &clusters);
  if (found.empty()) return Passed(name, "TopoLVM is not installed");
  const std::string minor = MinorOf(in.target_version);
  for (const json& version : in.topolvm_versions) {
    if (k8s::NameOf(version).find(minor) != std::string::npos) {
      return Passed(name, fmt::format("the TopoLVM package for {} is pushed (ArtifactVersion {})",
                                      minor, k8s::NameOf(version)));
    }
  }
  return Failed(name, "TopolvmNotPushed",
                fmt::format("TopoLVM is installed ({}) and its {} package is not pushed — push "
                            "it first: violet push <dir-with-only-topolvm> "
                            "--target-catalog-source \"platform\" --platform-address ... "
                            "--platform-token ... --clusters \"{}\"",
                            JoinNames(found), minor, fmt::join(clusters, ",")));
}

}  // namespace upgrade
