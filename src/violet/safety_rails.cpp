#include "violet/safety_rails.h"

#include <fmt/format.h>

#include "platform/readers.h"
#include "platform/resources.h"

namespace violet {

using nlohmann::json;

std::string UpgradeInProgressReason(const json& cvsh) {
  const json status = cvsh.value("status", json::object());
  const json history = status.value("history", json::array());
  if (history.is_array() && !history.empty() && history[0].is_object() &&
      history[0].value("state", "") == "Partial") {
    return fmt::format("the upgrade to {} is Partial (history[0])",
                       history[0].value("version", "?"));
  }
  const json stages = status.value("stages", json::array());
  if (stages.is_array()) {
    for (const json& stage : stages) {
      if (stage.is_object() && stage.value("phase", "") == "Running") {
        return fmt::format("stage {} is Running", stage.value("name", "?"));
      }
    }
  }
  return "";
}

std::string ComponentsMovingReason(const json& moduleinfos) {
  const json items = moduleinfos.value("items", json::array());
  if (!items.is_array()) return "";
  for (const json& item : items) {
    if (!item.is_object()) continue;
    const platform::ModuleInfo info = platform::ModuleInfoOf(item);
    if (info.cluster != platform::kGlobalCluster || info.spec_version.empty() ||
        info.spec_version == info.status_version) {
      continue;
    }
    return fmt::format(
        "Era A: component {} of global is moving from {} to {} (ModuleInfo {} spec.version != "
        "status.version)",
        info.module.empty() ? info.name : info.module,
        info.status_version.empty() ? "none" : info.status_version, info.spec_version, info.name);
  }
  return "";
}

absl::StatusOr<std::string> GlobalUpgradeInProgress(k8s::RestClient& global) {
  auto cvsh = global.Get(platform::kClusterVersionShadows, platform::kPlatformNamespace,
                         platform::kGlobalCluster);
  if (!cvsh.ok() && !absl::IsNotFound(cvsh.status())) return cvsh.status();
  if (cvsh.ok()) {
    if (std::string reason = UpgradeInProgressReason(*cvsh); !reason.empty()) {
      return "ClusterVersionShadow cpaas-system/global: " + reason;
    }
  }
  auto infos =
      global.List(platform::kModuleInfos, "",
                  fmt::format("{}={}", platform::kClusterNameLabel, platform::kGlobalCluster));
  if (absl::IsNotFound(infos.status())) return std::string();  // no ModuleInfo kind served
  if (!infos.ok()) return infos.status();
  return ComponentsMovingReason(*infos);
}

std::vector<std::string> WorkloadClusters(const std::vector<std::string>& clusters) {
  std::vector<std::string> workload;
  for (const std::string& cluster : clusters) {
    if (cluster != platform::kGlobalCluster) workload.push_back(cluster);
  }
  return workload;
}

}  // namespace violet
