#include "console/views.h"

#include <fmt/format.h>

#include "k8s/json_fields.h"
#include "upgrade/status_view.h"
#include "upgrade/version_rules.h"

namespace console {

using nlohmann::json;

json ClusterView(const json& cvsh, std::chrono::system_clock::time_point now) {
  json view = upgrade::StatusDocument(cvsh, now);
  view["availableUpdates"] = json::array();
  const json::json_pointer updates("/status/availableUpdates");
  if (cvsh.contains(updates) && cvsh.at(updates).is_array()) {
    for (const json& update : cvsh.at(updates)) {
      if (update.is_object()) view["availableUpdates"].push_back(update);
    }
  }
  const json::json_pointer preflight("/status/preflight");
  view["preflight"] = cvsh.contains(preflight) && cvsh.at(preflight).is_object()
                          ? cvsh.at(preflight)
                          : json(nullptr);
  return view;
}

json ComponentsView(const std::string& cluster,
                    const std::vector<upgrade::PlannedComponent>& plan) {
  json components = json::array();
  for (const upgrade::PlannedComponent& planned : plan) {
    const upgrade::Component& c = planned.component;
    json offered = json::array();
    json lower = json::array();
    // Newest first, as the dialog lists them; a version below the current one is shown as
    // the trap it is, never offered.
    for (auto it = c.available.rbegin(); it != c.available.rend(); ++it) {
      if (c.current.empty() || upgrade::VersionLess(c.current, *it)) {
        offered.push_back(*it);
      } else if (upgrade::VersionLess(*it, c.current)) {
        lower.push_back(*it);
      }
    }
    components.push_back({{"name", c.name},
                          {"module", c.module},
                          {"displayName", c.display_name.empty() ? c.module : c.display_name},
                          {"current", c.current},
                          {"requested", c.requested},
                          {"phase", c.phase},
                          {"offered", offered},
                          {"lowerOffered", lower},
                          {"defaultTarget", planned.target},
                          {"note", planned.note},
                          {"kubernetes", c.module == upgrade::kKubernetesModule}});
  }
  return {{"cluster", cluster}, {"components", components}};
}

namespace {

absl::Status CheckName(const std::string& what, const json& value) {
  if (!value.is_string() || value.get_ref<const std::string&>().empty() ||
      value.get_ref<const std::string&>().size() > 253) {
    return absl::InvalidArgumentError(
        fmt::format("{}: give a non-empty string of at most 253 characters", what));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<upgrade::ComponentChoices> ChoicesFromJson(const json& body) {
  if (!body.is_object()) {
    return absl::InvalidArgumentError(
        "the request is not a JSON object: send {\"targets\": {...}, \"skip\": [...]}");
  }
  upgrade::ComponentChoices choices;
  const json targets = body.value("targets", json::object());
  const json skip = body.value("skip", json::array());
  if (!targets.is_object() || !skip.is_array()) {
    return absl::InvalidArgumentError(
        "\"targets\" must be an object of module -> version and \"skip\" a list of modules");
  }
  if (targets.size() + skip.size() > kMaxChoices) {
    return absl::InvalidArgumentError(
        fmt::format("more than {} choices in one request: refused", kMaxChoices));
  }
  for (const auto& [module, version] : targets.items()) {
    if (auto valid = CheckName("a module name in \"targets\"", json(module)); !valid.ok()) {
      return valid;
    }
    if (auto valid = CheckName("the Target of " + module.substr(0, 253), version); !valid.ok()) {
      return valid;
    }
    choices.set[module] = version.get<std::string>();
  }
  for (const json& module : skip) {
    if (auto valid = CheckName("a module in \"skip\"", module); !valid.ok()) return valid;
    choices.skip.insert(module.get<std::string>());
  }
  const json no_kubernetes = body.value("noKubernetes", json(false));
  if (!no_kubernetes.is_boolean()) {
    return absl::InvalidArgumentError("\"noKubernetes\" must be true or false");
  }
  choices.no_kubernetes = no_kubernetes.get<bool>();
  if (choices.no_kubernetes) choices.set.erase(upgrade::kKubernetesModule);
  choices.force = false;
  return choices;
}

json LeaderView(const absl::StatusOr<json>& lease, const absl::StatusOr<json>& pods) {
  json view = {{"leader", ""}, {"replicas", json::array()}};
  if (lease.ok()) {
    view["leader"] = k8s::StringAt(*lease, "/spec/holderIdentity");
    view["renewTime"] = k8s::StringAt(*lease, "/spec/renewTime");
    view["acquireTime"] = k8s::StringAt(*lease, "/spec/acquireTime");
    const json::json_pointer transitions("/spec/leaseTransitions");
    view["leaseTransitions"] =
        lease->contains(transitions) && lease->at(transitions).is_number_integer()
            ? lease->at(transitions)
            : json(0);
  } else {
    view["leaseError"] = std::string(lease.status().message());
  }
  if (pods.ok()) {
    for (const json& pod : k8s::ItemsOf(*pods)) {
      const std::string name = k8s::NameOf(pod);
      view["replicas"].push_back({{"name", name},
                                  {"phase", k8s::StringAt(pod, "/status/phase")},
                                  {"leader", !name.empty() && name == view["leader"]}});
    }
  } else {
    view["replicasError"] = std::string(pods.status().message());
  }
  return view;
}

json JournalView(const dr::Journal& journal, const std::string& journal_file,
                 const std::string& connection_flags) {
  json steps = json::array();
  int done = 0, pending = 0, failed = 0;
  for (const dr::StepRecord& step : journal.steps) {
    switch (step.state) {
      case dr::StepState::kDone:
        ++done;
        break;
      case dr::StepState::kFailed:
        ++failed;
        break;
      default:
        ++pending;
    }
    steps.push_back({{"name", step.name},
                     {"state", dr::StepStateName(step.state)},
                     {"attempts", step.attempts},
                     {"startedAt", step.started_at},
                     {"finishedAt", step.finished_at},
                     {"message", step.message}});
  }
  std::string resume;
  if (!journal.Complete() && !journal.resume_command.empty()) {
    resume = journal.resume_command;
  } else if (!journal.Complete()) {
    std::vector<std::string> args = {"ac", "adm", "dr", journal.operation};
    if (journal.operation == "upgrade") {
      args.push_back("--to");
      args.push_back(journal.target_version);
    }
    resume = dr::ShellCommandLine(args) + (connection_flags.empty() ? "" : " " + connection_flags) +
             " " + dr::ShellCommandLine({"--journal", journal_file});
  }
  return {{"operation", journal.operation},
          {"sourceVersion", journal.source_version},
          {"targetVersion", journal.target_version},
          {"updatedAt", journal.updated_at},
          {"complete", journal.Complete()},
          {"done", done},
          {"pending", pending},
          {"failed", failed},
          {"steps", steps},
          {"resumeCommand", resume},
          {"file", journal_file}};
}

std::string DrConnectionFlags(const dr::DrContext& context) {
  std::vector<std::string> args;
  auto add = [&args](const std::string& flag, const std::string& value) {
    if (value.empty()) return;
    args.push_back(flag);
    args.push_back(value);
  };
  add("--primary-kubeconfig", context.primary().kubeconfig);
  add("--standby-kubeconfig", context.standby().kubeconfig);
  add("--monitor-url", context.options().monitor_url);
  add("--monitor-token-file", context.options().monitor_token_file);
  add("--standby-vip", context.options().standby_vip);
  std::string endpoints;
  for (const std::string& endpoint : context.options().primary_etcd_endpoints) {
    endpoints += (endpoints.empty() ? "" : ",") + endpoint;
  }
  add("--primary-etcd-endpoints", endpoints);
  return dr::ShellCommandLine(args);
}

}  // namespace console
