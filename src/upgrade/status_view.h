// What `ac adm upgrade` and `ac adm upgrade status` show about a ClusterVersionShadow: a
// scriptable state, what the upgrade waits on, elapsed time, stages, history and conditions;
// as a table, JSON or YAML. The command maps the outcome to the exit-code table.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

namespace upgrade {

// What a status document concludes.
enum class UpgradeOutcome {
  kCompleted,   // at the requested version, nothing running (Completed, UpToDate)
  kInProgress,  // requested or running (Progressing)
  kBlocked,     // Stalled or Degraded: needs an operator
};

// {cluster, state (Completed|UpToDate|Progressing|Stalled|Degraded), currentVersion,
//  desiredVersion, requestedVersion, waitingOn, startedTime, elapsedSeconds, stages[],
//  history[], conditions[]} — the -o json/yaml document.
nlohmann::json StatusDocument(const nlohmann::json& cvsh,
                              std::chrono::system_clock::time_point now);
UpgradeOutcome OutcomeOf(const nlohmann::json& document);
std::string RenderStatusText(const nlohmann::json& document);

// `ac adm upgrade` without --to: current version, available updates, preflight.
std::string RenderOverview(const nlohmann::json& cvsh);

std::string ToYaml(const nlohmann::json& value);
// "1h02m05s", "45s".
std::string FormatDuration(int64_t seconds);

}  // namespace upgrade
