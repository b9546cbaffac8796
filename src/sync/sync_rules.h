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
};

// The built-in defaults; each entry is justified in sync_rules.cpp and the README.
SyncRules DefaultSyncRules();

// Reads a rules file:
//   defaults: true            # start from DefaultSyncRules() (default) or from nothing
//   exclude: {namespaces: [], resources: [], prefixes: [], patterns: []}
//   include: {namespaces: [], resources: [], prefixes: [], patterns: []}
absl::StatusOr<SyncRules> LoadSyncRules(const std::string& path);
// The same from the file's text (`path` names it in messages).
absl::StatusOr<SyncRules> ParseSyncRules(const std::string& text, const std::string& path);

class KubernetesKeyFilter : public KeyFilter {
 public:
  KubernetesKeyFilter(std::string prefix, SyncRules rules);
  bool Includes(std::string_view key) const override;

 private:
  bool Matches(const RuleSet& rules, std::string_view key) const;
  std::string prefix_;
  SyncRules rules_;
};

}  // namespace etcdsync
