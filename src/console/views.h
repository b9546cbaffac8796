// The JSON the console's pages read, built from the same engines as `ac` (src/upgrade,
// src/dr): pure functions of what was read from the clusters, so the CLI and the page agree.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dr/dr_context.h"
#include "dr/journal.h"
#include "upgrade/components.h"

namespace console {

// One cluster on the Clusters page: `ac adm upgrade status -o json`'s document plus the cvsh's
// availableUpdates and its last preflight (status.preflight: result, checks with their fixes).
nlohmann::json ClusterView(const nlohmann::json& cvsh, std::chrono::system_clock::time_point now);

// The Upgrade dialog of Cluster -> Functional Components, from PlanComponents with no choice
// made: per component its current/requested version, phase, the Targets offered (only
// versions above the current one: a downgrade is never offered, the 4.2.1 trap), the
// default Target ("" = Do not upgrade) and why.
nlohmann::json ComponentsView(const std::string& cluster,
                              const std::vector<upgrade::PlannedComponent>& plan);

// The dialog's answer: {"targets": {"<module>": "<version>"}, "skip": ["<module>"],
// "noKubernetes": bool}. Never `force` (the console offers no downgrade). Bounded: at most
// kMaxChoices entries, names and versions at most 253 characters; InvalidArgument otherwise.
inline constexpr size_t kMaxChoices = 512;
absl::StatusOr<upgrade::ComponentChoices> ChoicesFromJson(const nlohmann::json& body);

// The DR page's leader and replicas: the Lease cpaas-system/etcd-sync-mirror (holder, renew
// time, transitions) and the etcd-sync pods (label app=etcd-sync) on the standby.
nlohmann::json LeaderView(const absl::StatusOr<nlohmann::json>& lease,
                          const absl::StatusOr<nlohmann::json>& pods);

// A DR journal: operation, versions, steps with their state, the counts done/pending and
// the command that resumes it.
// resumeCommand: the command the journal recorded (its run's flags, no secrets); a journal of
// an earlier ac recorded none, and then it is built from `connection_flags` (the console's
// own DR flags, already shell-quoted).
nlohmann::json JournalView(const dr::Journal& journal, const std::string& journal_file,
                           const std::string& connection_flags = "");

// The console's own DR flags as `ac adm dr` takes them (kubeconfigs, monitor URL and token
// file, standby VIP, primary etcd endpoints), shell-quoted; never a secret's value.
std::string DrConnectionFlags(const dr::DrContext& context);

}  // namespace console
