#include "upgrade/preflight_runner.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <string_view>

#include "common/absl_fmt.h"
#include "common/bounded_parse.h"
#include "common/untrusted_text.h"
#include "k8s/api_error.h"
#include "k8s/json_fields.h"
#include "platform/resources.h"
#include "upgrade/name_list.h"

namespace upgrade {

using nlohmann::json;

absl::StatusOr<std::vector<std::string>> ReadDisabledChecks(k8s::RestClient& global) {
  auto config = global.Get(platform::kConfigMaps, platform::kPlatformNamespace, "cvo-config");
  if (absl::IsNotFound(config.status())) return std::vector<std::string>();
  if (!config.ok()) return config.status();
  return ParseDisabledChecks(k8s::StringAt(*config, "/data/preflight"));
}

absl::StatusOr<std::vector<std::string>> ParseDisabledChecks(const std::string& text) {
  if (text.empty()) return std::vector<std::string>();
  const auto malformed = [](std::string_view why) {
    return absl::InvalidArgumentError(fmt::format(
        "ConfigMap cpaas-system/cvo-config key preflight is not YAML `disabled: [CheckName, "
        "...]` ({}) — fix it with kubectl -n cpaas-system edit configmap cvo-config",
        why));
  };
  auto parsed = common::ParseYamlBounded(text, 1 << 20, 16, "the value");
  if (!parsed.ok()) return malformed(common::View(parsed.status().message()));
  std::vector<std::string> disabled;
  try {
    const YAML::Node& root = *parsed;
    if (root.IsMap() && root["disabled"]) {
      if (!root["disabled"].IsSequence()) return malformed("disabled is not a list");
      for (const auto& name : root["disabled"]) disabled.push_back(name.as<std::string>());
    } else if (!root.IsNull() && !root.IsMap()) {
      return malformed("not a map");
    }
  } catch (const YAML::Exception& e) {
    return malformed(e.msg);
  }
  return disabled;
}

PreflightReport RunPreflight(const PreflightInputs& inputs,
                             const std::vector<std::string>& disabled) {
  PreflightReport report;
  report.cluster = inputs.cluster;
  report.current_version = inputs.current_version;
  report.target_version = inputs.target_version;
  report.target_from = inputs.target_version_from;
  report.observed_at = k8s::NowRfc3339();
  const auto& checks = AllPreflightChecks();
  for (const std::string& name : disabled) {
    const bool known = std::any_of(checks.begin(), checks.end(),
                                   [&](const PreflightCheck& check) { return check.name == name; });
    if (!known) {
      report.notes.push_back(
          fmt::format("cpaas-system/cvo-config disables \"{}\", which is not a check",
                      common::Clip(name, 128)));
    }
  }
  int failed = 0, retry = 0;
  for (const PreflightCheck& check : checks) {
    if (!check.applies(inputs)) continue;
    if (std::find(disabled.begin(), disabled.end(), check.name) != disabled.end()) {
      report.disabled.push_back(check.name);
      continue;
    }
    CheckResult result = check.run(inputs);
    result.name = check.name;
    const bool advisory = result.policy == kAdvisory;
    if (result.state == CheckState::kFailed && !advisory) ++failed;
    if (result.state == CheckState::kRetry && !advisory) ++retry;
    report.results.push_back(std::move(result));
  }
  report.overall = failed > 0                            ? CheckState::kFailed
                   : retry > 0 || report.results.empty() ? CheckState::kRetry
                                                         : CheckState::kPassed;
  return report;
}

json PreflightStatus(const PreflightReport& report) {
  json checks = json::array();
  for (const CheckResult& result : report.results) {
    checks.push_back({{"name", result.name},
                      {"policy", result.policy},
                      {"state", CheckStateName(result.state)},
                      {"reason", result.reason},
                      {"message", result.message}});
  }
  return {{"observedAt", report.observed_at},
          {"targetVersion", report.target_version},
          {"result", CheckStateName(report.overall)},
          {"checks", checks},
          {"disabled", report.disabled}};
}

absl::Status RecordPreflight(k8s::RestClient& global, PreflightReport& report) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto cvsh =
        global.Get(platform::kClusterVersionShadows, platform::kPlatformNamespace, report.cluster);
    if (absl::IsNotFound(cvsh.status())) {
      report.recorded = fmt::format(
          "not recorded: no ClusterVersionShadow cpaas-system/{} yet (it appears once the CVO "
          "is deployed: bash upgrade.sh --skip-sync-image)",
          report.cluster);
      return absl::OkStatus();
    }
    if (!cvsh.ok()) return cvsh.status();
    json& status = (*cvsh)["status"];
    if (!status.is_object()) status = json::object();
    status["preflight"] = PreflightStatus(report);
    json& conditions = status["conditions"];
    if (!conditions.is_array()) conditions = json::array();
    const bool ready = report.overall == CheckState::kPassed;
    json condition = {
        {"type", "PreflightReady"},
        {"status", ready ? "True" : "False"},
        {"reason",
         ready ? "PreflightPassed" : fmt::format("Preflight{}", CheckStateName(report.overall))},
        {"message", fmt::format("preflight for {}: {}", report.target_version,
                                CheckStateName(report.overall))},
        {"lastTransitionTime", report.observed_at}};
    auto existing = std::find_if(conditions.begin(), conditions.end(), [](const json& c) {
      return k8s::StringField(c, "type") == "PreflightReady";
    });
    if (existing == conditions.end()) {
      conditions.push_back(condition);
    } else {
      if (k8s::StringField(*existing, "status") == condition["status"]) {
        condition["lastTransitionTime"] =
            k8s::StringField(*existing, "lastTransitionTime", report.observed_at);
      }
      *existing = condition;
    }
    auto written =
        global.UpdateStatus(platform::kClusterVersionShadows, platform::kPlatformNamespace, *cvsh);
    if (written.ok()) {
      report.recorded =
          fmt::format("ClusterVersionShadow cpaas-system/{} status.preflight", report.cluster);
      return absl::OkStatus();
    }
    if (!k8s::IsConflict(written.status())) return written.status();
  }
  return absl::AbortedError(
      fmt::format("ClusterVersionShadow cpaas-system/{} kept changing; run the preflight again",
                  report.cluster));
}

std::string FormatPreflightReport(const PreflightReport& report) {
  int passed = 0, retry = 0, failed = 0, warnings = 0;
  for (const CheckResult& result : report.results) {
    if (result.state == CheckState::kPassed) {
      ++passed;
    } else if (result.policy == kAdvisory) {
      ++warnings;
    } else if (result.state == CheckState::kRetry) {
      ++retry;
    } else {
      ++failed;
    }
  }
  auto or_unknown = [](const std::string& text) { return text.empty() ? "unknown" : text; };
  std::string out = "Summary\n";
  out += fmt::format(
      "  Result:           {} ({} passed, {} retry, {} failed{}{})\n",
      CheckStateName(report.overall), passed, retry, failed,
      warnings == 0 ? "" : fmt::format(", {} warnings", warnings),
      report.disabled.empty() ? "" : fmt::format(", {} disabled", report.disabled.size()));
  out += fmt::format("  Cluster:          {}\n", report.cluster);
  out += fmt::format("  Current version:  {}\n", or_unknown(report.current_version));
  out += fmt::format("  Desired version:  {}{}\n", or_unknown(report.target_version),
                     report.target_from.empty() ? "" : " (from " + report.target_from + ")");
  if (!report.desired_image.empty()) {
    out += fmt::format("  Desired image:    {}\n", report.desired_image);
  }
  if (!report.disabled.empty()) {
    out += fmt::format("  Disabled:         {} (ConfigMap cpaas-system/cvo-config)\n",
                       JoinNames(report.disabled, 100));
  }
  if (!report.recorded.empty()) out += fmt::format("  Recorded:         {}\n", report.recorded);
  for (const std::string& note : report.notes) out += fmt::format("  Note:             {}\n", note);
  out += "\nChecks\n";
  size_t width = 4;
  for (const CheckResult& result : report.results) width = std::max(width, result.name.size());
  out += fmt::format("  {:<{}}  {:<6}  {}\n", "NAME", width, "STATE", "REASON: MESSAGE");
  for (const CheckResult& result : report.results) {
    // An advisory result that did not pass reads "Warn" (status.preflight keeps its state).
    const bool warning = result.policy == kAdvisory && result.state != CheckState::kPassed;
    out += fmt::format("  {:<{}}  {:<6}  {}{}\n", result.name, width,
                       warning ? "Warn" : CheckStateName(result.state),
                       result.reason.empty() ? "" : result.reason + ": ", result.message);
  }
  return out;
}

}  // namespace upgrade
