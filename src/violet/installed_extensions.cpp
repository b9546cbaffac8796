#include "violet/installed_extensions.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>

#include "k8s/json_fields.h"
#include "platform/readers.h"
#include "platform/resources.h"
#include "violet/artifact_resources.h"

namespace violet {

using nlohmann::json;

namespace {

std::string Lifecycle(const std::string& label) {
  std::string lower = label;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  if (lower == "core") return "Core";
  if (lower == "aligned") return "Aligned";
  return "Agnostic";  // missing means Agnostic (§7)
}

absl::StatusOr<json> Items(k8s::RestClient& global, const k8s::ResourceRef& ref) {
  auto list = global.List(ref, "");
  if (absl::IsNotFound(list.status())) return json::array();
  if (!list.ok()) return list.status();
  return list->value("items", json::array());
}

}  // namespace

absl::StatusOr<PlatformRecords> ReadPlatformRecords(k8s::RestClient& global) {
  PlatformRecords records;
  std::pair<const k8s::ResourceRef*, json*> kinds[] = {
      {&platform::kModuleInfos, &records.module_infos},
      {&platform::kModulePlugins, &records.module_plugins},
      {&platform::kModuleConfigs, &records.module_configs},
      {&platform::kOperatorViews, &records.operator_views}};
  for (auto& [ref, items] : kinds) {
    auto read = Items(global, *ref);
    if (!read.ok()) return read.status();
    *items = std::move(*read);
  }
  return records;
}

std::vector<InstalledExtension> InstalledExtensions(const PlatformRecords& records) {
  std::map<std::string, const json*> plugins;
  for (const json& plugin : records.module_plugins) {
    plugins[k8s::StringAt(plugin, "/metadata/name")] = &plugin;
  }
  std::vector<InstalledExtension> installed;
  for (const json& info : records.module_infos) {
    const platform::ModuleInfo module = platform::ModuleInfoOf(info);
    InstalledExtension extension;
    extension.type = "ModulePlugin";
    extension.name = module.module;
    extension.cluster = module.cluster;
    if (extension.name.empty() || extension.cluster.empty()) continue;
    extension.version = module.status_version.empty() ? module.spec_version : module.status_version;
    extension.display_name = extension.name;
    extension.lifecycle = "Agnostic";
    if (auto it = plugins.find(extension.name); it != plugins.end()) {
      extension.lifecycle = Lifecycle(k8s::LabelOf(*it->second, kLifecycleLabel));
      const std::string display = k8s::StringAt(*it->second, "/spec/displayName");
      if (!display.empty()) extension.display_name = display;
    }
    installed.push_back(extension);
  }
  for (const json& view : records.operator_views) {
    InstalledExtension extension;
    extension.type = "OperatorBundle";
    extension.name = k8s::StringAt(view, "/spec/operator");
    extension.cluster = k8s::StringAt(view, "/spec/cluster");
    extension.version = k8s::StringAt(view, "/spec/version");
    if (extension.name.empty() || extension.cluster.empty()) continue;
    extension.display_name = k8s::StringAt(view, "/spec/displayName");
    if (extension.display_name.empty()) extension.display_name = extension.name;
    extension.lifecycle = Lifecycle(k8s::LabelOf(view, kLifecycleLabel));
    installed.push_back(extension);
  }
  std::sort(installed.begin(), installed.end(), [](const auto& a, const auto& b) {
    return std::tie(a.name, a.cluster) < std::tie(b.name, b.cluster);
  });
  return installed;
}

std::string ApplicationsYaml(const std::vector<InstalledExtension>& installed,
                             const std::vector<std::string>& clusters) {
  std::map<std::string, std::vector<const InstalledExtension*>> by_name;
  for (const InstalledExtension& extension : installed) {
    if (extension.lifecycle == "Core") continue;
    if (!clusters.empty() &&
        std::find(clusters.begin(), clusters.end(), extension.cluster) == clusters.end()) {
      continue;
    }
    by_name[extension.name].push_back(&extension);
  }
  if (by_name.empty()) return "applications: {}\n";
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "applications" << YAML::Value << YAML::BeginMap;
  for (const auto& [name, entries] : by_name) {
    out << YAML::Key << name << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "displayName" << YAML::Value << entries.front()->display_name;
    out << YAML::Key << "type" << YAML::Value << entries.front()->type;
    out << YAML::Key << "installed" << YAML::Value << YAML::BeginSeq;
    for (const InstalledExtension* entry : entries) {
      out << YAML::BeginMap << YAML::Key << "clusterName" << YAML::Value << entry->cluster
          << YAML::Key << "version" << YAML::Value << entry->version << YAML::EndMap;
    }
    out << YAML::EndSeq << YAML::EndMap;
  }
  out << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace violet
