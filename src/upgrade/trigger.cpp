#include "upgrade/trigger.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/absl_fmt.h"
#include "common/status_macros.h"
#include "k8s/json_fields.h"
#include "platform/readers.h"
#include "platform/resources.h"
#include "upgrade/preflight_inputs.h"

namespace upgrade {
namespace {

using nlohmann::json;

absl::Status Named(const absl::Status& status, const std::string& what) {
  return absl::Status(status.code(), fmt::format("{}: {}", what, status.message()));
}

absl::StatusOr<std::string> EnsureCvoDeployment(k8s::RestClient& global, const std::string& image) {
  const std::string what = fmt::format("Deployment {}/{}", platform::kPlatformNamespace, kCvoName);
  const json labels = {{"app", kCvoName}};
  const json containers = json::array({{{"name", kCvoName}, {"image", image}}});
  auto existing = global.Get(platform::kDeployments, platform::kPlatformNamespace, kCvoName);
  if (absl::IsNotFound(existing.status())) {
    const json object = {
        {"apiVersion", "apps/v1"},
        {"kind", "Deployment"},
        {"metadata",
         {{"name", kCvoName}, {"namespace", platform::kPlatformNamespace}, {"labels", labels}}},
        {"spec",
         {{"replicas", 1},
          {"selector", {{"matchLabels", labels}}},
          {"template",
           {{"metadata", {{"labels", labels}}}, {"spec", {{"containers", containers}}}}}}}};
    auto created = global.Create(platform::kDeployments, platform::kPlatformNamespace, object);
    if (!created.ok()) return Named(created.status(), what);
    return fmt::format("{}: created (image {})", what, image);
  }
  if (!existing.ok()) return Named(existing.status(), what);
  const std::string current = k8s::StringAt(*existing, "/spec/template/spec/containers/0/image");
  if (current == image) return fmt::format("{}: unchanged (image {})", what, image);
  auto patched =
      global.MergePatch(platform::kDeployments, platform::kPlatformNamespace, kCvoName,
                        {{"spec", {{"template", {{"spec", {{"containers", containers}}}}}}}});
  if (!patched.ok()) return Named(patched.status(), what);
  return fmt::format("{}: updated (image {} -> {})", what, current, image);
}

absl::StatusOr<std::string> EnsureGlobalShadow(k8s::RestClient& global) {
  const std::string what = fmt::format("ClusterVersionShadow {}/{}", platform::kPlatformNamespace,
                                       platform::kGlobalCluster);
  auto existing = global.Get(platform::kClusterVersionShadows, platform::kPlatformNamespace,
                             platform::kGlobalCluster);
  if (existing.ok()) return what + ": unchanged";
  if (!absl::IsNotFound(existing.status())) return Named(existing.status(), what);
  ASSIGN_OR_RETURN(platform::VersionReading current,
                   platform::ReadCurrentVersion(global, platform::kGlobalCluster));
  const json object = {
      {"apiVersion", platform::kClusterVersionShadows.GroupVersion()},
      {"kind", "ClusterVersionShadow"},
      {"metadata",
       {{"name", platform::kGlobalCluster}, {"namespace", platform::kPlatformNamespace}}},
      {"spec", json::object()}};
  auto created =
      global.Create(platform::kClusterVersionShadows, platform::kPlatformNamespace, object);
  if (!created.ok()) return Named(created.status(), what);
  if (!current.version.empty()) {
    (*created)["status"] = {{"current", {{"version", current.version}}}};
    auto status = global.UpdateStatus(platform::kClusterVersionShadows,
                                      platform::kPlatformNamespace, *created);
    if (!status.ok()) return Named(status.status(), what);
  }
  return fmt::format("{}: created (current version {})", what,
                     current.version.empty() ? "unknown" : current.version);
}

}  // namespace

absl::StatusOr<std::vector<std::string>> TriggerUpgrade(k8s::RestClient& global,
                                                        const ReleaseManifest& release,
                                                        const std::string& registry) {
  std::vector<std::string> lines;
  ASSIGN_OR_RETURN(std::string manifest, PublishProductManifest(global, release, registry));
  lines.push_back(manifest);
  ASSIGN_OR_RETURN(std::string shadow, EnsureGlobalShadow(global));
  lines.push_back(shadow);
  ASSIGN_OR_RETURN(std::string cvo,
                   EnsureCvoDeployment(global, ImageAt(registry, release.cvo_image)));
  lines.push_back(cvo);
  return lines;
}

}  // namespace upgrade
