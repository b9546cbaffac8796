#include "upgrade/status_view.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <ctime>

#include "k8s/json_fields.h"
#include "platform/readers.h"
#include "upgrade/preflight_check.h"

namespace upgrade {

using nlohmann::json;

namespace {

std::optional<std::chrono::system_clock::time_point> ParseTime(const std::string& text) {
  std::tm tm = {};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr) return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

json ArrayAt(const json& cvsh, const char* pointer) {
  const json::json_pointer path(pointer);
  return cvsh.contains(path) && cvsh.at(path).is_array() ? cvsh.at(path) : json::array();
}

YAML::Node ToYamlNode(const json& value) {
  YAML::Node node;
  switch (value.type()) {
    case json::value_t::object:
      node = YAML::Node(YAML::NodeType::Map);
      for (const auto& [key, item] : value.items()) node[key] = ToYamlNode(item);
      return node;
    case json::value_t::array:
      node = YAML::Node(YAML::NodeType::Sequence);
      for (const json& item : value) node.push_back(ToYamlNode(item));
      return node;
    case json::value_t::string:
      return YAML::Node(value.get<std::string>());
    case json::value_t::boolean:
      return YAML::Node(value.get<bool>());
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return YAML::Node(value.get<int64_t>());
    case json::value_t::number_float:
      return YAML::Node(value.get<double>());
    default:
      return YAML::Node(YAML::NodeType::Null);
  }
}

}  // namespace

std::string FormatDuration(int64_t seconds) {
  if (seconds < 0) seconds = 0;
  const int64_t h = seconds / 3600, m = seconds % 3600 / 60, s = seconds % 60;
  if (h > 0) return fmt::format("{}h{:02}m{:02}s", h, m, s);
  if (m > 0) return fmt::format("{}m{:02}s", m, s);
  return fmt::format("{}s", s);
}

std::string ToYaml(const json& value) {
  YAML::Emitter out;
  out << ToYamlNode(value);
  return std::string(out.c_str()) + "\n";
}

json StatusDocument(const json& cvsh, std::chrono::system_clock::time_point now) {
  const std::string current = platform::ClusterVersionShadowOf(cvsh).current_version;
  const std::string desired = platform::ClusterVersionShadowOf(cvsh).desired_version;
  const std::string requested = platform::ClusterVersionShadowOf(cvsh).requested_version;
  const json stages = ArrayAt(cvsh, "/status/stages");
  const json history = ArrayAt(cvsh, "/status/history");
  const json conditions = ArrayAt(cvsh, "/status/conditions");
  const json* stalled = k8s::FindCondition(cvsh, "Stalled");
  const json* degraded = k8s::FindCondition(cvsh, "Degraded");
  const bool is_stalled = stalled && k8s::StringField(*stalled, "status") == "True";
  const bool is_degraded = degraded && k8s::StringField(*degraded, "status") == "True";
  const bool partial = !history.empty() && k8s::StringField(history[0], "state") == "Partial";
  const bool reconciling = k8s::ConditionStatus(cvsh, "Reconciling") == "True";
  const bool pending_request = !requested.empty() && requested != current;

  std::string state, waiting_on;
  if (is_stalled) {
    state = "Stalled";
    waiting_on = "an operator: " + k8s::StringField(*stalled, "message", "the upgrade is stalled");
  } else if (is_degraded) {
    state = "Degraded";
    waiting_on =
        "an operator: " + k8s::StringField(*degraded, "message", "the cluster is degraded");
  } else if (reconciling || partial || pending_request) {
    state = "Progressing";
    if (desired.empty() || (desired != requested && !requested.empty() && !reconciling)) {
      waiting_on = fmt::format(
          "the CVO to start the upgrade to {} (is Deployment cpaas-system/cluster-version-operator "
          "running?)",
          requested);
    } else {
      for (const json& stage : stages) {
        if (k8s::StringField(stage, "phase") != "Finished") {
          waiting_on = fmt::format("stage {} ({})", k8s::StringField(stage, "name", "?"),
                                   k8s::StringField(stage, "phase", "Pending"));
          break;
        }
      }
      if (waiting_on.empty()) waiting_on = "the CVO to complete the upgrade";
    }
  } else {
    state = history.empty() ? "UpToDate" : "Completed";
    waiting_on = "nothing";
  }

  json document = {{"cluster", k8s::NameOf(cvsh)},
                   {"state", state},
                   {"currentVersion", current},
                   {"desiredVersion", desired},
                   {"requestedVersion", requested},
                   {"waitingOn", waiting_on},
                   {"stages", stages},
                   {"history", history},
                   {"conditions", conditions}};
  if (!history.empty()) {
    const std::string started = k8s::StringField(history[0], "startedTime");
    const std::string completed = k8s::StringField(history[0], "completionTime");
    document["startedTime"] = started;
    auto begin = ParseTime(started);
    auto end = completed.empty() ? std::optional(now) : ParseTime(completed);
    if (begin && end) {
      document["elapsedSeconds"] =
          std::chrono::duration_cast<std::chrono::seconds>(*end - *begin).count();
    }
  }
  return document;
}

UpgradeOutcome OutcomeOf(const json& document) {
  const std::string state = k8s::StringAt(document, "/state");
  if (state == "Stalled" || state == "Degraded") return UpgradeOutcome::kBlocked;
  if (state == "Progressing") return UpgradeOutcome::kInProgress;
  return UpgradeOutcome::kCompleted;
}

std::string RenderStatusText(const json& document) {
  auto or_dash = [](const std::string& text) { return text.empty() ? std::string("-") : text; };
  std::string out;
  out += fmt::format("Cluster:     {}\n", k8s::StringField(document, "cluster"));
  out += fmt::format("State:       {}\n", k8s::StringField(document, "state"));
  out += fmt::format("Current:     {}\n", or_dash(k8s::StringField(document, "currentVersion")));
  out += fmt::format("Desired:     {}\n", or_dash(k8s::StringField(document, "desiredVersion")));
  out += fmt::format("Waiting on:  {}\n", k8s::StringField(document, "waitingOn"));
  if (document.contains("elapsedSeconds")) {
    out += fmt::format("Elapsed:     {} (since {})\n",
                       FormatDuration(document["elapsedSeconds"].get<int64_t>()),
                       k8s::StringField(document, "startedTime"));
  }
  const json& stages = document["stages"];
  if (!stages.empty()) {
    out += fmt::format("\n{:<12}  {:<9}  {:<20}  {}\n", "STAGE", "PHASE", "STARTED", "COMPLETED");
    for (const json& stage : stages) {
      out += fmt::format("{:<12}  {:<9}  {:<20}  {}\n", k8s::StringField(stage, "name"),
                         k8s::StringField(stage, "phase"),
                         or_dash(k8s::StringField(stage, "startedTime")),
                         or_dash(k8s::StringField(stage, "completionTime")));
    }
  }
  const json& history = document["history"];
  if (!history.empty()) {
    out += fmt::format("\n{:<12}  {:<9}  {:<20}  {}\n", "VERSION", "STATE", "STARTED", "COMPLETED");
    for (const json& entry : history) {
      out += fmt::format("{:<12}  {:<9}  {:<20}  {}\n", k8s::StringField(entry, "version"),
                         k8s::StringField(entry, "state"),
                         or_dash(k8s::StringField(entry, "startedTime")),
                         or_dash(k8s::StringField(entry, "completionTime")));
    }
  }
  const json& conditions = document["conditions"];
  if (!conditions.empty()) {
    out += fmt::format("\n{:<15}  {:<6}  {:<20}  {}\n", "CONDITION", "STATUS", "REASON", "MESSAGE");
    for (const json& condition : conditions) {
      out += fmt::format("{:<15}  {:<6}  {:<20}  {}\n", k8s::StringField(condition, "type"),
                         k8s::StringField(condition, "status"),
                         or_dash(k8s::StringField(condition, "reason")),
                         k8s::StringField(condition, "message"));
    }
  }
  return out;
}

std::string RenderOverview(const json& cvsh) {
  std::string out;
  const std::string current = platform::ClusterVersionShadowOf(cvsh).current_version;
  out += fmt::format("Cluster:            {}\n", k8s::NameOf(cvsh));
  out += fmt::format("Current version:    {}\n", current.empty() ? "unknown" : current);
  if (std::string requested = platform::ClusterVersionShadowOf(cvsh).requested_version;
      !requested.empty() && requested != current) {
    out += fmt::format("Requested version:  {}\n", requested);
  }
  const json updates = ArrayAt(cvsh, "/status/availableUpdates");
  if (updates.empty()) {
    out += "Available updates:  none\n";
  } else {
    out += "Available updates:\n";
    for (const json& update : updates) {
      out += fmt::format("  {:<12}  {}\n", k8s::StringField(update, "version"),
                         k8s::StringField(update, "image"));
    }
  }
  const json::json_pointer preflight_path("/status/preflight");
  if (!cvsh.contains(preflight_path) || !cvsh.at(preflight_path).is_object()) {
    out += "Preflight:          no result yet (run: bash upgrade.sh --preflight)\n";
    return out;
  }
  const json& preflight = cvsh.at(preflight_path);
  out += fmt::format("Preflight:          {} for {} (observed {})\n",
                     k8s::StringField(preflight, "result", "no result"),
                     k8s::StringField(preflight, "targetVersion", "?"),
                     k8s::StringField(preflight, "observedAt", "?"));
  if (preflight.contains("checks") && preflight["checks"].is_array()) {
    for (const json& check : preflight["checks"]) {
      if (k8s::StringField(check, "state") == "Passed") continue;
      // An Advisory check is a warning: it never made the result Failed or Retry, so it
      // reads "Warn" here as it did in upgrade.sh --preflight's table.
      const bool advisory = k8s::StringField(check, "policy") == kAdvisory;
      out += fmt::format("  {:<32}  {:<6}  {}\n", k8s::StringField(check, "name"),
                         advisory ? std::string("Warn") : k8s::StringField(check, "state"),
                         k8s::StringField(check, "message"));
    }
  }
  return out;
}

}  // namespace upgrade
