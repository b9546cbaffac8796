// What etcd-sync replicates between two Kubernetes global clusters: everything under the
// prefix except the documented namespaces and the key families that belong to one
// cluster (nodes, leases, events, endpoints, IP/port allocators, ...). Operators change the
// set with a YAML rules file; include rules win over exclude rules.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "sync/key_filter.h"

namespace etcdsync {

struct RuleSet {
  std::vector<std::string> namespaces;  // objects in them, and the Namespace objects
  std::vector<std::string> resources;   // "events", "services/endpoints", "<group>/<resource>"
  std::vector<std::string> prefixes;    // raw key prefixes
  std::vector<std::string> patterns;    // shell globs over the whole key ("*" spans "/")
  bool empty() const {
    return namespaces.empty() && resources.empty() && prefixes.empty() && patterns.empty();
  }
};

struct SyncRules {
  RuleSet exclude;
  RuleSet include;
  // Pods bound to a node (spec.nodeName set) name the source's nodes, which the standby
  // does not have; its pod GC deletes them. false (default): such Pods are cluster-local
  // runtime state like Endpoints, neither synced nor checked. true: synced like any object
  // (the literal reading of "everything outside the excluded namespaces").
  bool sync_bound_pods = false;
  // The reconcile pass and the periodic check stop repairing a key they had to repair this
  // many times in this process (something on the standby keeps undoing it): it is listed as
  // contested instead.
  int contested_after_repairs = 3;
};

// A value of a key under <prefix>pods/ that decodes to a Pod bound to a node.
bool IsBoundPod(std::string_view prefix, std::string_view key, std::string_view value);

// The built-in defaults; each entry is justified in sync_rules.cpp and the README.
SyncRules DefaultSyncRules();

// Reads a rules file:
//   defaults: true            # start from DefaultSyncRules() (default) or from nothing
//   exclude: {namespaces: [], resources: [], prefixes: [], patterns: []}
//   include: {namespaces: [], resources: [], prefixes: [], patterns: []}
//   syncBoundPods: false      # see SyncRules::sync_bound_pods
//   contestedAfterRepairs: 3  # see SyncRules::contested_after_repairs (1..1000)
absl::StatusOr<SyncRules> LoadSyncRules(const std::string& path);
// The same from the file's text (`path` names it in messages).
absl::StatusOr<SyncRules> ParseSyncRules(const std::string& text, const std::string& path);

class KubernetesKeyFilter : public KeyFilter {
 public:
  KubernetesKeyFilter(std::string prefix, SyncRules rules);
  bool Includes(std::string_view key) const override;
  bool IncludesValue(std::string_view key, std::string_view value) const override;

 private:
  bool Matches(const RuleSet& rules, std::string_view key) const;
  std::string prefix_;
  SyncRules rules_;
};

}  // namespace etcdsync
