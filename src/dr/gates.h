// The DR gates as pure decisions over what was read from the clusters and the monitor:
// each yields passed or a blocker with the reason and what the operator should do.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dr {

struct GateResult {
  GateResult() = default;
  GateResult(std::string name, bool passed, std::string detail, std::string remedy)
      : name(std::move(name)),
        passed(passed),
        detail(std::move(detail)),
        remedy(std::move(remedy)) {}
  explicit GateResult(std::string name) : name(std::move(name)) {}
  std::string name;  // "consistency", "machines/primary", ...
  bool passed = false;
  std::string detail;  // what was found
  std::string remedy;  // what to do when it blocks
};

struct CheckReport {
  std::vector<GateResult> gates;
  bool Blocked() const;
  std::vector<const GateResult*> Blockers() const;
  std::string RenderText() const;
  nlohmann::json RenderJson() const;
  // One paragraph for a failed step: every blocker with its remedy.
  std::string BlockersSummary() const;
};

// /check?format=json as the monitor serves it (or the error reaching it): blocks on any
// missed or surplus key, on a 503 (no initial copy yet) and on an unreachable monitor.
// Stale keys are reported, not blocking (§8.6 names only missed and surplus).
GateResult EvaluateConsistency(long http_status, const std::string& body,
                               const std::string& monitor_url);
GateResult ConsistencyUnreachable(const absl::Status& error, const std::string& monitor_url);

// A List of machines.platform.tkestack.io: blocks unless every Machine's status.phase is
// "Running" (the docs list no phase values; "Running" is what `kubectl get` shows as healthy).
GateResult EvaluateMachines(const std::string& cluster, const absl::StatusOr<nlohmann::json>& list);

// ProductBase `base`: blocks unless spec.alternativeURLs has an entry whose host is `vip`.
GateResult EvaluateAlternativeUrls(const std::string& cluster,
                                   const absl::StatusOr<nlohmann::json>& product_base,
                                   const std::string& vip);
// "https://[fd00::1]:443/x" -> "fd00::1"; "10.0.0.1" -> "10.0.0.1".
std::string UrlHost(const std::string& url);

// Port 2379 from the standby to the active etcd, as the running plugin sees it: the monitor's
// /metrics `etcd_sync_source_up 1` (a probe from where `ac` runs says nothing about the
// standby's network). 0, no such gauge or no answer blocks.
GateResult EvaluateSourceUp(const absl::StatusOr<std::string>& metrics);

// TCP connect results per etcd endpoint (kept for `ac adm dr check` from a standby node).
GateResult EvaluateEtcdReachable(const std::vector<std::pair<std::string, absl::Status>>& results);

// The leader: the monitor's /metrics `etcd_sync_leader 1`, else (a follower answered) Lease
// cpaas-system/etcd-sync-mirror spec.holderIdentity non-empty. No answer blocks.
GateResult EvaluateSyncLeader(const absl::StatusOr<std::string>& metrics,
                              const absl::StatusOr<nlohmann::json>& lease);

// A gauge's value in Prometheus text ("etcd_sync_leader 1"); nullopt when absent.
std::optional<double> MetricValue(const std::string& metrics, const std::string& name);

}  // namespace dr
