// The Functional Components dialog as code: a cluster's components (ModuleInfos labelled
// cpaas.io/cluster-name=<cluster>), a Target per component chosen by rules, applying the
// Targets (spec.version) and waiting for status.version to follow.
#pragma once

#include <chrono>
#include <map>
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

// Product Docs and Cluster Enhancer plugins on global after the upgrade (§4.1 steps 8-9):
// one line each, "installed (ModuleInfo x, version v)" or what to install where.
absl::StatusOr<std::vector<std::string>> ReportRequiredPlugins(k8s::RestClient& global);

}  // namespace upgrade
