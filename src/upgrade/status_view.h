// What `ac adm upgrade` and `ac adm upgrade status` show about a ClusterVersionShadow: a
// scriptable state with an exit code, what the upgrade waits on, elapsed time, stages,
// history and conditions; as a table, JSON or YAML.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

namespace upgrade {

// Documented exit codes of `ac adm upgrade status`.
inline constexpr int kStatusCompleted = 0;   // at the requested version, nothing running
inline constexpr int kStatusInProgress = 3;  // requested or running
inline constexpr int kStatusBlocked = 4;     // Stalled or Degraded: needs an operator

// {cluster, state (Completed|UpToDate|Progressing|Stalled|Degraded), currentVersion,
//  desiredVersion, requestedVersion, waitingOn, startedTime, elapsedSeconds, stages[],
//  history[], conditions[]} — the -o json/yaml document.
nlohmann::json StatusDocument(const nlohmann::json& cvsh,
                              std::chrono::system_clock::time_point now);
int StatusExitCode(const nlohmann::json& document);
std::string RenderStatusText(const nlohmann::json& document);

// `ac adm upgrade` without --to: current version, available updates, preflight.
std::string RenderOverview(const nlohmann::json& cvsh);

std::string ToYaml(const nlohmann::json& value);
// "1h02m05s", "45s".
std::string FormatDuration(int64_t seconds);

}  // namespace upgrade
