#include "violet/safety_rails.h"

#include <fmt/format.h>

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

absl::StatusOr<std::string> GlobalUpgradeInProgress(k8s::RestClient& global) {
  auto cvsh = global.Get(platform::kClusterVersionShadows, platform::kPlatformNamespace,
                         platform::kGlobalCluster);
  if (absl::IsNotFound(cvsh.status())) return std::string();
  if (!cvsh.ok()) return cvsh.status();
  return UpgradeInProgressReason(*cvsh);
}

std::vector<std::string> WorkloadClusters(const std::vector<std::string>& clusters) {
  std::vector<std::string> workload;
  for (const std::string& cluster : clusters) {
    if (cluster != platform::kGlobalCluster) workload.push_back(cluster);
  }
  return workload;
}

}  // namespace violet
