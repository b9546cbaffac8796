#include "sync/sync_rules.h"

#include <fmt/format.h>
#include <fnmatch.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "common/absl_fmt.h"
#include "common/bounded_parse.h"
#include "common/regular_file.h"
#include "common/untrusted_text.h"
#include "k8s/key_layout.h"
#include "k8s/object_meta.h"

namespace etcdsync {

SyncRules DefaultSyncRules() {
  SyncRules rules;
  // The namespaces the platform documents as not synchronised (back them up by hand):
  // each global cluster runs its own platform components, credentials and CNI there.
  rules.exclude.namespaces = {"cpaas-system",
                              "cert-manager",
                              "default",
                              "global-credentials",
                              "cpaas-system-global-credentials",
                              "kube-ovn",
                              "kube-public",
                              "kube-system",
                              "nsx-system",
                              "cpaas-solution",
                              "kube-node-lease",
                              "kubevirt",
                              "nativestor-system",
                              "operators"};
  rules.exclude.resources = {
      // Nodes: each cluster registers its own machines; the primary's nodes on the standby
      // would be unreachable NotReady nodes whose pods get evicted.
      "minions",
      // Leases: node heartbeats and controller/scheduler leader election; the primary's
      // holders would make the standby's controllers stand down.
      "leases",
      // Events: bound to a 1 h etcd lease, high churn, and about this cluster only.
      "events",
      // Endpoints and EndpointSlices: the addresses of this cluster's pods, maintained by
      // its own endpoints controllers.
      "services/endpoints", "endpointslices",
      // API server endpoint leases (lease-bound, one per API server IP).
      "masterleases",
      // Service IP and NodePort allocator bitmaps: the standby's API server repairs them
      // from the Services it holds; overwriting them would corrupt its allocator.
      "serviceips", "servicenodeports", "ranges/serviceips", "ranges/servicenodeports",
      // Per-node storage state written by this cluster's kubelets and CSI drivers.
      "csinodes", "volumeattachments",
      // Kubelet certificate requests are issued by and for this cluster's nodes.
      "certificatesigningrequests"};
  return rules;
}

namespace {

absl::StatusOr<std::vector<std::string>> ReadList(const YAML::Node& node, const std::string& path,
                                                  const std::string& field) {
  std::vector<std::string> values;
  if (!node || node.IsNull()) return values;
  if (!node.IsSequence()) {
    return absl::InvalidArgumentError(
        fmt::format("--rules {}: {} must be a list of strings", path, field));
  }
  for (const auto& item : node) values.push_back(item.as<std::string>());
  return values;
}

absl::Status ReadRuleSet(const YAML::Node& node, const std::string& path,
                         const std::string& section, RuleSet& into) {
  if (!node || node.IsNull()) return absl::OkStatus();
  if (!node.IsMap()) {
    return absl::InvalidArgumentError(
        fmt::format("--rules {}: {} must be a mapping", path, section));
  }
  for (const auto& entry : node) {
    const std::string field = entry.first.as<std::string>();
    std::vector<std::string>* target = field == "namespaces"  ? &into.namespaces
                                       : field == "resources" ? &into.resources
                                       : field == "prefixes"  ? &into.prefixes
                                       : field == "patterns"  ? &into.patterns
                                                              : nullptr;
    if (target == nullptr) {
      return absl::InvalidArgumentError(fmt::format(
          "--rules {}: unknown field {}.{} (use namespaces, resources, prefixes, patterns)", path,
          section, common::Clip(field, 64)));
    }
    auto values = ReadList(entry.second, path, section + "." + field);
    if (!values.ok()) return values.status();
    target->insert(target->end(), values->begin(), values->end());
  }
  return absl::OkStatus();
}

}  // namespace

namespace {
// A rules file is a few dozen lines nested three levels.
constexpr size_t kMaxRulesBytes = 1 << 20;
constexpr int kMaxRulesDepth = 16;
}  // namespace

absl::StatusOr<SyncRules> LoadSyncRules(const std::string& path) {
  auto text = common::ReadRegularFile(path, kMaxRulesBytes, "the file");
  if (absl::IsNotFound(text.status())) {
    return absl::InvalidArgumentError(fmt::format("--rules {}: cannot read the file", path));
  }
  if (!text.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("--rules {}: {}; refusing it", path, common::View(text.status().message())));
  }
  return ParseSyncRules(*text, path);
}

absl::StatusOr<SyncRules> ParseSyncRules(const std::string& text, const std::string& path) {
  auto parsed = common::ParseYamlBounded(text, kMaxRulesBytes, kMaxRulesDepth, "the file");
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("--rules {}: {}", path, common::View(parsed.status().message())));
  }
  const YAML::Node root = *parsed;
  if (!root.IsNull() && !root.IsMap()) {
    return absl::InvalidArgumentError(fmt::format("--rules {}: must be a YAML mapping", path));
  }
  SyncRules rules;
  try {
    for (const auto& entry : root) {
      const std::string field = entry.first.as<std::string>();
      if (field != "defaults" && field != "exclude" && field != "include" &&
          field != "syncBoundPods" && field != "contestedAfterRepairs") {
        return absl::InvalidArgumentError(fmt::format(
            "--rules {}: unknown field {} (use defaults, exclude, include, syncBoundPods, "
            "contestedAfterRepairs)",
            path, common::Clip(field, 64)));
      }
    }
    if (!root["defaults"] || root["defaults"].as<bool>()) rules = DefaultSyncRules();
    if (root["syncBoundPods"]) rules.sync_bound_pods = root["syncBoundPods"].as<bool>();
    if (root["contestedAfterRepairs"]) {
      const int repairs = root["contestedAfterRepairs"].as<int>();
      if (repairs < 1 || repairs > 1000) {
        return absl::InvalidArgumentError(
            fmt::format("--rules {}: contestedAfterRepairs must be between 1 and 1000", path));
      }
      rules.contested_after_repairs = repairs;
    }
    if (auto status = ReadRuleSet(root["exclude"], path, "exclude", rules.exclude); !status.ok()) {
      return status;
    }
    if (auto status = ReadRuleSet(root["include"], path, "include", rules.include); !status.ok()) {
      return status;
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(fmt::format("--rules {}: {}", path, e.what()));
  }
  return rules;
}

KubernetesKeyFilter::KubernetesKeyFilter(std::string prefix, SyncRules rules)
    : prefix_(std::move(prefix)), rules_(std::move(rules)) {}

bool KubernetesKeyFilter::Matches(const RuleSet& rules, std::string_view key) const {
  for (const auto& prefix : rules.prefixes) {
    if (key.starts_with(prefix)) return true;
  }
  if (!rules.patterns.empty()) {
    const std::string text(key);
    for (const auto& pattern : rules.patterns) {
      if (fnmatch(pattern.c_str(), text.c_str(), 0) == 0) return true;
    }
  }
  if (rules.namespaces.empty() && rules.resources.empty()) return false;
  auto object = k8s::ParseObjectKey(key);
  if (!object) return false;
  auto listed = [](const std::vector<std::string>& list, const std::string& value) {
    return !value.empty() && std::find(list.begin(), list.end(), value) != list.end();
  };
  if (listed(rules.resources, object->resource)) return true;
  if (listed(rules.namespaces, object->ns)) return true;
  return object->resource == "namespaces" && listed(rules.namespaces, object->name);
}

bool IsBoundPod(std::string_view prefix, std::string_view key, std::string_view value) {
  if (!key.starts_with(prefix)) return false;
  const std::string_view rest = key.substr(prefix.size());
  // Core-group pods only: /registry/pods/<namespace>/<name>.
  if (!rest.starts_with("pods/")) return false;
  return !k8s::ReadPodNodeName(value).empty();
}

bool KubernetesKeyFilter::IncludesValue(std::string_view key, std::string_view value) const {
  return rules_.sync_bound_pods || !IsBoundPod(prefix_, key, value);
}

bool KubernetesKeyFilter::Includes(std::string_view key) const {
  if (!key.starts_with(prefix_)) return false;
  if (!rules_.include.empty() && Matches(rules_.include, key)) return true;
  return !Matches(rules_.exclude, key);
}

}  // namespace etcdsync
