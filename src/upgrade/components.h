// The Functional Components dialog as code: a cluster's components (ModuleInfos labelled
// cpaas.io/cluster-name=<cluster>), a Target per component chosen by rules, applying the
// Targets (spec.version) and waiting for status.version to follow.
#pragma once

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "k8s/rest_client.h"

namespace upgrade {

// The ModuleInfo that stands for Kubernetes (label cpaas.io/module-name=kubernetes).
inline constexpr const char* kKubernetesModule = "kubernetes";

struct Component {
  std::string name;    // the ModuleInfo's name
  std::string module;  // label cpaas.io/module-name (the name when unlabelled)
  std::string display_name;
  std::string current;                 // status.version
  std::string requested;               // spec.version
  std::string phase;                   // status.phase
  std::vector<std::string> available;  // status.availableVersions[].version
  // Top-level keys of spec.valuesOverride: the component's custom configuration overrides.
  std::vector<std::string> overrides = {};
};

absl::StatusOr<std::vector<Component>> ReadComponents(k8s::RestClient& global,
                                                      const std::string& cluster);

struct ComponentChoices {
  std::map<std::string, std::string> set;  // module -> target version
  std::set<std::string> skip;              // "Do not upgrade"
  std::optional<std::string> kubernetes;   // --kubernetes=<v>
  bool no_kubernetes = false;
  bool force = false;  // allow a Target lower than the current version, or one not offered
};

struct PlannedComponent {
  Component component;
  std::string target;  // "" : Do not upgrade
  std::string note;    // why (e.g. the 4.2.1 downgrade trap)
};

// Rules: an explicit Target must be offered (status.availableVersions) and not lower than
// the current version — the 4.2.1 downgrade trap — unless `force`. Without a choice a
// component goes to its newest offered version above the current one; an offer that is
// only lower than the current version is never taken by default ("Do not upgrade").
// Unknown module names are errors listing the cluster's modules.
absl::StatusOr<std::vector<PlannedComponent>> PlanComponents(
    const std::vector<Component>& components, const ComponentChoices& choices);

// §6 Era A: "if custom configuration overrides are found, the user must confirm them first".
// Our reading: components of a workload cluster whose ModuleInfo has a non-empty
// spec.valuesOverride. The lines to show ("" for global or when none has overrides).
std::string RenderOverrides(const std::string& cluster, const std::vector<Component>& components);

std::string RenderPlan(const std::string& cluster, const std::vector<PlannedComponent>& plan);

// Patches spec.version of every component with a Target; returns the lines it printed.
absl::StatusOr<std::vector<std::string>> ApplyPlan(k8s::RestClient& global,
                                                   const std::vector<PlannedComponent>& plan);

// Until every component with a Target reports status.version = Target and phase Running.
absl::Status WaitForComponents(k8s::RestClient& global, const std::string& cluster,
                               const std::vector<PlannedComponent>& plan,
                               std::chrono::seconds timeout);

// True when no component of the cluster is moving (status.version = spec.version).
bool ComponentsSettled(const std::vector<Component>& components);

// Product Docs (§4.1 step 8) and Cluster Enhancer (step 9) on global after its upgrade. Our
// reading: Product Docs is needed on a 4.0 or 4.1 global (the docs say "from 3.x" because a
// fresh 4.x install already has it), Cluster Enhancer on 4.1 and 4.2. A plugin counts as
// installed when a global ModuleInfo's cpaas.io/module-name contains `key`.
struct RequiredPlugin {
  std::string key;      // "product-docs", "cluster-enhancer"
  std::string display;  // the Marketplace name
};
std::vector<RequiredPlugin> RequiredPluginsFor(const std::string& target_version);

// What to do for one required plugin: already installed, install `version` of `module` (from
// the newest ModuleConfig of the target's minor, else the newest), or not published.
struct PluginAction {
  RequiredPlugin plugin;
  std::string installed_as;  // the ModuleInfo found ("" : not installed)
  std::string current;       // its status.version
  std::string module;        // to install: the ModuleConfig's cpaas.io/module-name
  std::string version;       // to install: its spec.version ("" : none published)
};
// `module_configs`: a List of ModuleConfigs on global.
std::vector<PluginAction> PlanRequiredPlugins(const std::string& target_version,
                                              const std::vector<Component>& global_components,
                                              const nlohmann::json& module_configs);
// The ModuleInfo that installs `action` on global (global-<module>, labels cluster-name,
// module-name, module-type plugin, spec.version).
nlohmann::json PluginModuleInfo(const PluginAction& action);

// Installs what PlanRequiredPlugins finds missing (AlreadyExists is fine: a rerun changes
// nothing). One line per required plugin; `missing` counts those not published.
struct RequiredPluginsOutcome {
  std::vector<std::string> lines;
  int missing = 0;
};
absl::StatusOr<RequiredPluginsOutcome> EnsureRequiredPlugins(k8s::RestClient& global,
                                                             const std::string& target_version);

// The version the platform is going to: cluster's ClusterVersionShadow requested or desired
// version, else the newest ProductManifest ("" when neither is there). Reads only; the caller
// puts an operator's explicit --release-version first.
std::string PlatformTargetVersion(k8s::RestClient& global, const std::string& cluster);

}  // namespace upgrade
