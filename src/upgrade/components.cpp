#include "upgrade/components.h"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "common/absl_fmt.h"
#include "common/status_macros.h"
#include "k8s/json_fields.h"
#include "platform/readers.h"
#include "platform/resources.h"
#include "upgrade/name_list.h"
#include "upgrade/version_rules.h"

namespace upgrade {

using nlohmann::json;

namespace {

Component ToComponent(const json& info) {
  const platform::ModuleInfo module = platform::ModuleInfoOf(info);
  Component component;
  component.name = module.name;
  component.module = module.module.empty() ? module.name : module.module;
  component.display_name = k8s::AnnotationOf(info, "cpaas.io/display-name");
  component.current = module.status_version;
  component.requested = module.spec_version;
  component.phase = module.phase;
  const json::json_pointer available("/status/availableVersions");
  if (info.contains(available) && info.at(available).is_array()) {
    for (const json& entry : info.at(available)) {
      const std::string version =
          entry.is_string() ? entry.get<std::string>() : k8s::StringField(entry, "version");
      if (!version.empty()) component.available.push_back(version);
    }
  }
  std::sort(component.available.begin(), component.available.end(), VersionLess);
  const json::json_pointer overrides("/spec/valuesOverride");
  if (info.contains(overrides) && info.at(overrides).is_object()) {
    for (const auto& [key, value] : info.at(overrides).items()) {
      if (!value.is_null()) component.overrides.push_back(key);
    }
  }
  return component;
}

bool Offered(const Component& component, const std::string& version) {
  return std::find(component.available.begin(), component.available.end(), version) !=
         component.available.end();
}

}  // namespace

absl::StatusOr<std::vector<Component>> ReadComponents(k8s::RestClient& global,
                                                      const std::string& cluster) {
  auto list = global.List(platform::kModuleInfos, "",
                          std::string(platform::kClusterNameLabel) + "=" + cluster);
  if (!list.ok()) {
    return absl::Status(list.status().code(),
                        fmt::format("cannot list the components (ModuleInfos) of cluster {}: {}",
                                    cluster, list.status().message()));
  }
  std::vector<Component> components;
  for (const json& info : k8s::ItemsOf(*list)) components.push_back(ToComponent(info));
  std::sort(components.begin(), components.end(),
            [](const Component& a, const Component& b) { return a.module < b.module; });
  return components;
}

absl::StatusOr<std::vector<PlannedComponent>> PlanComponents(
    const std::vector<Component>& components, const ComponentChoices& choices) {
  std::vector<std::string> modules;
  for (const Component& component : components) modules.push_back(component.module);
  auto known = [&](const std::string& module) {
    return std::find(modules.begin(), modules.end(), module) != modules.end();
  };
  std::map<std::string, std::string> set = choices.set;
  std::set<std::string> skip = choices.skip;
  if (choices.kubernetes) set[kKubernetesModule] = *choices.kubernetes;
  if (choices.no_kubernetes && known(kKubernetesModule)) skip.insert(kKubernetesModule);
  for (const auto& [module, version] : set) {
    if (!known(module)) {
      return absl::InvalidArgumentError(fmt::format(
          "no component \"{}\" on this cluster (components: {})", module, JoinNames(modules, 50)));
    }
    if (skip.count(module) > 0) {
      return absl::InvalidArgumentError(fmt::format(
          "component \"{}\" is both set (--set/--kubernetes) and skipped (--skip/--no-kubernetes)",
          module));
    }
  }
  for (const std::string& module : skip) {
    if (!known(module)) {
      return absl::InvalidArgumentError(fmt::format(
          "no component \"{}\" on this cluster (components: {})", module, JoinNames(modules, 50)));
    }
  }

  std::vector<PlannedComponent> plan;
  for (const Component& component : components) {
    PlannedComponent planned{component, "", ""};
    if (skip.count(component.module) > 0) {
      planned.note = "Do not upgrade (chosen)";
    } else if (auto chosen = set.find(component.module); chosen != set.end()) {
      const std::string& version = chosen->second;
      if (version == component.current) {
        planned.note = "already at " + version;
      } else if (!component.current.empty() && VersionLess(version, component.current) &&
                 !choices.force) {
        return absl::FailedPreconditionError(fmt::format(
            "component {}: Target {} is lower than its current version {} — that would "
            "downgrade it (the 4.2.1 known issue); choose --skip {} (Do not upgrade), or --force",
            component.module, version, component.current, component.module));
      } else if (!Offered(component, version) && !choices.force) {
        return absl::FailedPreconditionError(fmt::format(
            "component {}: {} is not an available version ({}); pass --force to set it anyway",
            component.module, version,
            component.available.empty() ? "none" : JoinNames(component.available)));
      } else {
        planned.target = version;
        planned.note = "chosen";
      }
    } else {
      std::string newest_up;
      bool lower_offer = false;
      for (const std::string& version : component.available) {
        if (component.current.empty() || VersionLess(component.current, version)) {
          newest_up = version;  // ascending: the last one wins
        } else if (VersionLess(version, component.current)) {
          lower_offer = true;
        }
      }
      if (!newest_up.empty()) {
        planned.target = newest_up;
        planned.note = "newest available";
      } else if (lower_offer) {
        planned.note = fmt::format(
            "Do not upgrade: only lower versions offered ({}), not a "
            "downgrade (4.2.1 known issue)",
            JoinNames(component.available));
      } else {
        planned.note = "up to date";
      }
    }
    plan.push_back(std::move(planned));
  }
  return plan;
}

std::string RenderPlan(const std::string& cluster, const std::vector<PlannedComponent>& plan) {
  std::string out = fmt::format("Components of cluster {}:\n", cluster);
  size_t width = 9;
  for (const PlannedComponent& planned : plan) {
    width = std::max(width, planned.component.module.size());
  }
  out += fmt::format("  {:<{}}  {:<12}  {:<24}  {:<16}  {}\n", "COMPONENT", width, "CURRENT",
                     "AVAILABLE", "TARGET", "NOTE");
  for (const PlannedComponent& planned : plan) {
    const Component& c = planned.component;
    out += fmt::format("  {:<{}}  {:<12}  {:<24}  {:<16}  {}\n", c.module, width,
                       c.current.empty() ? "-" : c.current,
                       c.available.empty() ? "-" : JoinNames(c.available, 4),
                       planned.target.empty() ? "Do not upgrade" : planned.target, planned.note);
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> ApplyPlan(k8s::RestClient& global,
                                                   const std::vector<PlannedComponent>& plan) {
  std::vector<std::string> lines;
  for (const PlannedComponent& planned : plan) {
    if (planned.target.empty()) continue;
    const Component& c = planned.component;
    if (c.requested == planned.target) {
      lines.push_back(fmt::format("{}: {} already requested", c.module, planned.target));
      continue;
    }
    auto patched = global.MergePatch(platform::kModuleInfos, "", c.name,
                                     {{"spec", {{"version", planned.target}}}});
    if (!patched.ok()) {
      return absl::Status(patched.status().code(),
                          fmt::format("component {} (ModuleInfo {}): {}", c.module, c.name,
                                      patched.status().message()));
    }
    lines.push_back(fmt::format("{}: {} -> {} requested", c.module,
                                c.current.empty() ? "none" : c.current, planned.target));
  }
  return lines;
}

bool ComponentsSettled(const std::vector<Component>& components) {
  return std::all_of(components.begin(), components.end(), [](const Component& c) {
    return c.requested.empty() || c.requested == c.current;
  });
}

absl::Status WaitForComponents(k8s::RestClient& global, const std::string& cluster,
                               const std::vector<PlannedComponent>& plan,
                               std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    ASSIGN_OR_RETURN(std::vector<Component> now, ReadComponents(global, cluster));
    std::vector<std::string> waiting;
    for (const PlannedComponent& planned : plan) {
      if (planned.target.empty()) continue;
      auto found = std::find_if(now.begin(), now.end(), [&](const Component& c) {
        return c.name == planned.component.name;
      });
      if (found == now.end()) {
        return absl::NotFoundError(fmt::format("component {} (ModuleInfo {}) disappeared",
                                               planned.component.module, planned.component.name));
      }
      if (found->current != planned.target || found->phase != "Running") {
        waiting.push_back(fmt::format("{} ({} {})", found->module,
                                      found->current.empty() ? "none" : found->current,
                                      found->phase.empty() ? "no phase" : found->phase));
      }
    }
    if (waiting.empty()) return absl::OkStatus();
    if (std::chrono::steady_clock::now() >= deadline) {
      return absl::DeadlineExceededError(fmt::format(
          "components not at their Target after {}s: {} — check them with kubectl get minfo -l "
          "cpaas.io/cluster-name={}",
          timeout.count(), JoinNames(waiting), cluster));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
}

std::string RenderOverrides(const std::string& cluster, const std::vector<Component>& components) {
  if (cluster == platform::kGlobalCluster) return "";
  std::string out;
  for (const Component& c : components) {
    if (c.overrides.empty()) continue;
    out += fmt::format("  {} (ModuleInfo {}): spec.valuesOverride sets {}\n", c.module, c.name,
                       JoinNames(c.overrides));
  }
  if (out.empty()) return "";
  return fmt::format("custom configuration overrides on cluster {}:\n{}", cluster, out);
}

std::vector<RequiredPlugin> RequiredPluginsFor(const std::string& target_version) {
  const std::string minor = MinorOf(target_version);
  std::vector<RequiredPlugin> plugins;
  if (minor == "4.0" || minor == "4.1") {
    plugins.push_back({"product-docs", "Alauda Container Platform Product Docs"});
  }
  if (minor == "4.1" || minor == "4.2") {
    plugins.push_back({"cluster-enhancer", "Alauda Container Platform Cluster Enhancer"});
  }
  return plugins;
}

std::vector<PluginAction> PlanRequiredPlugins(const std::string& target_version,
                                              const std::vector<Component>& global_components,
                                              const json& module_configs) {
  std::vector<PluginAction> actions;
  for (const RequiredPlugin& plugin : RequiredPluginsFor(target_version)) {
    PluginAction action{plugin, "", "", "", ""};
    auto found = std::find_if(
        global_components.begin(), global_components.end(),
        [&](const Component& c) { return c.module.find(plugin.key) != std::string::npos; });
    if (found != global_components.end()) {
      action.installed_as = found->name;
      action.current = found->current;
      actions.push_back(action);
      continue;
    }
    bool same_minor = false;
    for (const json& config : k8s::ItemsOf(module_configs)) {
      const std::string module = k8s::LabelOf(config, platform::kModuleNameLabel);
      const std::string version = k8s::StringAt(config, "/spec/version");
      if (module.find(plugin.key) == std::string::npos || version.empty()) continue;
      const bool minor_matches = MinorOf(version) == MinorOf(target_version);
      // Prefer the target's minor; among equals, the newest.
      if ((minor_matches && !same_minor) ||
          (minor_matches == same_minor &&
           (action.version.empty() || VersionLess(action.version, version)))) {
        action.module = module;
        action.version = version;
        same_minor = minor_matches;
      }
    }
    actions.push_back(action);
  }
  return actions;
}

json PluginModuleInfo(const PluginAction& action) {
  return {{"apiVersion", "cluster.alauda.io/v1alpha1"},
          {"kind", "ModuleInfo"},
          {"metadata",
           {{"name", fmt::format("{}-{}", platform::kGlobalCluster, action.module)},
            {"labels",
             {{platform::kClusterNameLabel, platform::kGlobalCluster},
              {platform::kModuleNameLabel, action.module},
              {"cpaas.io/module-type", "plugin"}}}}},
          {"spec", {{"version", action.version}}}};
}

absl::StatusOr<RequiredPluginsOutcome> EnsureRequiredPlugins(k8s::RestClient& global,
                                                             const std::string& target_version) {
  ASSIGN_OR_RETURN(std::vector<Component> components,
                   ReadComponents(global, platform::kGlobalCluster));
  json configs = json::object();
  if (!RequiredPluginsFor(target_version).empty()) {
    auto listed = global.List(platform::kModuleConfigs, "");
    if (!listed.ok() && !absl::IsNotFound(listed.status())) {
      return absl::Status(
          listed.status().code(),
          fmt::format("cannot list the ModuleConfigs on global: {}", listed.status().message()));
    }
    if (listed.ok()) configs = std::move(*listed);
  }
  RequiredPluginsOutcome outcome;
  for (const PluginAction& action : PlanRequiredPlugins(target_version, components, configs)) {
    const std::string& display = action.plugin.display;
    if (!action.installed_as.empty()) {
      outcome.lines.push_back(fmt::format("{}: installed (ModuleInfo {}, version {})", display,
                                          action.installed_as,
                                          action.current.empty() ? "?" : action.current));
      continue;
    }
    if (action.version.empty()) {
      ++outcome.missing;
      outcome.lines.push_back(fmt::format(
          "{}: NOT installed — no ModuleConfig of a *{}* module is published on global: push its "
          "package (violet push), then run this again (or install it: Marketplace > Cluster "
          "Plugins > global > {} > Install)",
          display, action.plugin.key, display));
      continue;
    }
    const json info = PluginModuleInfo(action);
    auto created = global.Create(platform::kModuleInfos, "", info);
    if (!created.ok() && !absl::IsAlreadyExists(created.status())) {
      return absl::Status(created.status().code(),
                          fmt::format("installing {} (ModuleInfo {}) on global: {}", display,
                                      k8s::NameOf(info), created.status().message()));
    }
    outcome.lines.push_back(fmt::format("{}: installed now (ModuleInfo {}, version {})", display,
                                        k8s::NameOf(info), action.version));
  }
  return outcome;
}

std::string PlatformTargetVersion(k8s::RestClient& global, const std::string& cluster) {
  auto cvsh = global.Get(platform::kClusterVersionShadows, platform::kPlatformNamespace, cluster);
  if (cvsh.ok()) {
    const platform::ClusterVersionShadow shadow = platform::ClusterVersionShadowOf(*cvsh);
    for (const std::string& version : {shadow.requested_version, shadow.desired_version}) {
      if (!version.empty()) return version;
    }
  }
  std::string newest;
  if (auto manifests = global.List(platform::kProductManifests, ""); manifests.ok()) {
    for (const nlohmann::json& manifest : k8s::ItemsOf(*manifests)) {
      const std::string version = k8s::StringAt(manifest, "/spec/version");
      if (newest.empty() || VersionLess(newest, version)) newest = version;
    }
  }
  return newest;
}

}  // namespace upgrade
