#include "violet/gc_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/version_compare.h"
#include "k8s/json_fields.h"
#include "platform/readers.h"
#include "violet/artifact_resources.h"

namespace violet {

using nlohmann::json;

namespace {

bool IsCore(const json& object) {
  std::string lifecycle = k8s::LabelOf(object, kLifecycleLabel);
  std::transform(lifecycle.begin(), lifecycle.end(), lifecycle.begin(), ::tolower);
  return lifecycle == "core";
}

std::string OperatorName(const json& artifact) {
  std::string name = k8s::LabelOf(artifact, kPackageNameLabel);
  if (!name.empty()) return name;
  name = k8s::StringAt(artifact, "/metadata/name");
  return name.starts_with("operatorhub-") ? name.substr(12) : name;
}

// The lowest of `versions` (they are kept, and so is everything newer).
std::string Lowest(const std::vector<std::string>& versions) {
  return *std::min_element(versions.begin(), versions.end(), [](const auto& a, const auto& b) {
    return common::CompareVersions(a, b) < 0;
  });
}

}  // namespace

std::vector<GcItem> PlanGc(const std::vector<ClusterArtifacts>& clusters,
                           const PlatformRecords& records, bool plugins_on_global) {
  const std::vector<InstalledExtension> installed = InstalledExtensions(records);
  std::vector<GcItem> items;
  for (const ClusterArtifacts& cluster : clusters) {
    std::map<std::string, std::vector<std::string>> operators;  // name -> installed versions
    for (const InstalledExtension& extension : installed) {
      if (extension.type == "OperatorBundle" && extension.cluster == cluster.cluster) {
        operators[extension.name].push_back(extension.version);
      }
    }
    for (const json& artifact : cluster.artifacts) {
      if (k8s::StringAt(artifact, "/spec/type") != "bundle" || IsCore(artifact)) continue;
      const std::string name = k8s::StringAt(artifact, "/metadata/name");
      const std::string ns = k8s::StringAt(artifact, "/metadata/namespace");
      auto it = operators.find(OperatorName(artifact));
      std::string keep_from;  // empty: the operator is not installed, everything goes
      if (it != operators.end()) keep_from = Lowest(it->second);
      for (const json& version : cluster.artifact_versions) {
        if (k8s::LabelOf(version, kArtifactVersionLabel) != name) continue;
        if (!keep_from.empty() &&
            common::CompareVersions(k8s::StringAt(version, "/spec/tag"), keep_from) >= 0) {
          continue;
        }
        items.push_back({"ArtifactVersion", k8s::StringAt(version, "/metadata/name"),
                         cluster.cluster, k8s::StringAt(version, "/metadata/namespace")});
      }
      if (keep_from.empty()) items.push_back({"Artifact", name, cluster.cluster, ns});
    }
  }
  if (plugins_on_global) {
    std::map<std::string, std::vector<std::string>> plugins;
    for (const InstalledExtension& extension : installed) {
      if (extension.type == "ModulePlugin") plugins[extension.name].push_back(extension.version);
    }
    for (const json& plugin : records.module_plugins) {
      if (IsCore(plugin)) continue;
      const std::string name = k8s::StringAt(plugin, "/metadata/name");
      auto it = plugins.find(name);
      const std::string keep_from = it == plugins.end() ? "" : Lowest(it->second);
      for (const json& config : records.module_configs) {
        if (k8s::LabelOf(config, platform::kModuleNameLabel) != name) continue;
        if (!keep_from.empty() &&
            common::CompareVersions(k8s::StringAt(config, "/spec/version"), keep_from) >= 0) {
          continue;
        }
        items.push_back({"ModuleConfig", k8s::StringAt(config, "/metadata/name"), "global", ""});
      }
      if (keep_from.empty()) items.push_back({"ModulePlugin", name, "global", ""});
    }
  }
  return items;
}

std::string FormatGcSummary(const std::vector<GcItem>& items) {
  if (items.empty()) return "No resources were deleted.\n";
  size_t type_width = 4, name_width = 4;
  for (const GcItem& item : items) {
    type_width = std::max(type_width, item.type.size());
    name_width = std::max(name_width, item.name.size());
  }
  std::string out = "GC Summary:\n";
  out += fmt::format("{:<{}}   {:<{}}   {}\n", "TYPE", type_width, "NAME", name_width, "CLUSTER");
  for (const GcItem& item : items) {
    out += fmt::format("{:<{}}   {:<{}}   {}\n", item.type, type_width, item.name, name_width,
                       item.cluster);
  }
  return out;
}

}  // namespace violet
