// Runs the preflight: the checks cpaas-system/cvo-config leaves enabled, an overall result
// (no result is never "passed"), the Summary/Checks text, and status.preflight on the cvsh.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "k8s/rest_client.h"
#include "upgrade/preflight_check.h"

namespace upgrade {

struct PreflightReport {
  std::string cluster;
  std::string current_version, target_version, target_from, desired_image;
  std::vector<CheckResult> results;
  std::vector<std::string> disabled;  // by cvo-config
  std::vector<std::string> notes;     // e.g. an unknown name in cvo-config
  CheckState overall = CheckState::kRetry;
  std::string observed_at;
  std::string recorded;  // where status.preflight was written, or why it was not
};

// ConfigMap cpaas-system/cvo-config, key `preflight`, YAML `disabled: [names]`; an absent
// ConfigMap or key disables nothing. Malformed YAML is an error naming the ConfigMap.
absl::StatusOr<std::vector<std::string>> ReadDisabledChecks(k8s::RestClient& global);
// The `preflight` value itself: at most 1 MiB (a ConfigMap's limit), nested at most 16 levels.
absl::StatusOr<std::vector<std::string>> ParseDisabledChecks(const std::string& text);

// Failed if any Required check failed; else Retry if any Required one is Retry or no check
// ran; else Passed. Advisory results are warnings and never change the overall result.
PreflightReport RunPreflight(const PreflightInputs& inputs,
                             const std::vector<std::string>& disabled);

// status.preflight {observedAt, targetVersion, result, checks[]} and condition
// PreflightReady on ClusterVersionShadow cpaas-system/<cluster> (retried on conflicts).
// Without a cvsh nothing is written and report.recorded says so.
absl::Status RecordPreflight(k8s::RestClient& global, PreflightReport& report);

nlohmann::json PreflightStatus(const PreflightReport& report);
// The two parts the docs name: `Summary` and `Checks`.
std::string FormatPreflightReport(const PreflightReport& report);

}  // namespace upgrade
