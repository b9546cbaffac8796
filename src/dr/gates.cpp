#include "dr/gates.h"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>
#include <string_view>

#include "common/absl_fmt.h"
#include "common/bounded_parse.h"
#include "common/untrusted_text.h"
#include "k8s/json_fields.h"

namespace dr {

using nlohmann::json;

bool CheckReport::Blocked() const { return !Blockers().empty(); }

std::vector<const GateResult*> CheckReport::Blockers() const {
  std::vector<const GateResult*> out;
  for (const GateResult& gate : gates) {
    if (!gate.passed) out.push_back(&gate);
  }
  return out;
}

std::string CheckReport::RenderText() const {
  std::string out;
  for (const GateResult& gate : gates) {
    out += fmt::format("{:<7} {:<24} {}\n", gate.passed ? "ok" : "BLOCKED", gate.name, gate.detail);
    if (!gate.passed && !gate.remedy.empty())
      out += fmt::format("        {:<24} do: {}\n", "", gate.remedy);
  }
  const size_t blockers = Blockers().size();
  out += blockers == 0 ? "DR check passed: nothing blocks\n"
                       : fmt::format("DR check: {} gate(s) block\n", blockers);
  return out;
}

json CheckReport::RenderJson() const {
  json gates_json = json::array();
  for (const GateResult& gate : gates) {
    gates_json.push_back({{"name", gate.name},
                          {"passed", gate.passed},
                          {"detail", gate.detail},
                          {"remedy", gate.remedy}});
  }
  return {{"passed", !Blocked()}, {"gates", gates_json}};
}

std::string CheckReport::BlockersSummary() const {
  std::string out;
  for (const GateResult* gate : Blockers()) {
    if (!out.empty()) out += "; ";
    out += fmt::format("{}: {} — {}", gate->name, gate->detail, gate->remedy);
  }
  return out;
}

namespace {

std::string FirstKeys(const json& section, size_t most) {
  std::string out;
  if (!section.is_object() || !section.contains("keys") || !section["keys"].is_array()) return out;
  size_t shown = 0;
  for (const json& key : section["keys"]) {
    if (shown == most) {
      out += ", ...";
      break;
    }
    out += (shown == 0 ? "" : ", ") + common::Clip(key.is_string() ? key.get<std::string>() : "?");
    ++shown;
  }
  return out;
}

}  // namespace

GateResult EvaluateConsistency(long http_status, const std::string& body,
                               const std::string& monitor_url) {
  GateResult gate("consistency");
  if (http_status == 503) {
    gate.detail = fmt::format("{}/check answered 503: {}", monitor_url,
                              common::Clip(std::string_view(body).substr(0, body.find('\n'))));
    gate.remedy = "wait for etcd-sync's initial copy (`Start Sync update`), then check again";
    return gate;
  }
  if (http_status == 401 || http_status == 403) {
    gate.detail = fmt::format("{}/check answered HTTP {}: the monitor asks for its bearer token",
                              monitor_url, http_status);
    gate.remedy =
        "give --monitor-token-file <file> holding the token etcd-sync's --monitor-token-file "
        "names (mode 0600)";
    return gate;
  }
  if (http_status != 200) {
    gate.detail = fmt::format("{}/check answered HTTP {}", monitor_url, http_status);
    gate.remedy =
        "check the etcd-sync pods on the standby (kubectl -n cpaas-system get pods -l "
        "app=etcd-sync)";
    return gate;
  }
  // The body is bounded by the read (the REST client's cap); the depth here.
  auto parsed =
      common::ParseJsonBounded(body, body.size(), common::kDefaultMaxJsonDepth, "the answer");
  const auto count = [&](const char* section, int64_t otherwise) -> int64_t {
    const json& report = *parsed;
    if (!report.contains(section)) return otherwise;
    const json& value = report[section];
    if (!value.is_object() || !value.contains("count") || !value["count"].is_number_integer()) {
      return -1;
    }
    return value["count"].get<int64_t>();
  };
  if (!parsed.ok() || !parsed->is_object() || count("missed", -1) < 0 || count("surplus", -1) < 0) {
    gate.detail =
        fmt::format("{}/check?format=json returned no missed/surplus counts", monitor_url);
    gate.remedy = "point --monitor-url at the standby's etcd-sync-monitor";
    return gate;
  }
  const json& report = *parsed;
  const int64_t missed = count("missed", -1);
  const int64_t surplus = count("surplus", -1);
  const int64_t stale = std::max<int64_t>(0, count("stale", 0));
  gate.detail = fmt::format("{} missed, {} surplus, {} stale keys", missed, surplus, stale);
  if (missed != 0 || surplus != 0) {
    std::string keys;
    if (missed > 0) keys += " missed: " + FirstKeys(report["missed"], 5) + ";";
    if (surplus > 0) keys += " surplus: " + FirstKeys(report["surplus"], 5) + ";";
    gate.detail += keys.empty() ? "" : " (" + keys.substr(1, keys.size() - 2) + ")";
    gate.remedy =
        "do NOT uninstall etcd-sync: missed keys -> restart the etcd-sync leader pod and check "
        "again; surplus keys -> agree with the ops team before deleting them on the standby "
        "(uninstalling now can delete workload-cluster Machines)";
    return gate;
  }
  gate.passed = true;
  return gate;
}

GateResult ConsistencyUnreachable(const absl::Status& error, const std::string& monitor_url) {
  return GateResult("consistency", false,
                    fmt::format("cannot reach etcd-sync-monitor {}: {}", monitor_url,
                                common::View(error.message())),
                    "is the etcd Synchronizer installed and running on the standby? pass "
                    "--monitor-url http://<etcd-sync-monitor clusterIP> if the default is wrong");
}

GateResult EvaluateMachines(const std::string& cluster, const absl::StatusOr<json>& list) {
  GateResult gate("machines/" + cluster);
  if (!list.ok()) {
    gate.detail = fmt::format("cannot list machines.platform.tkestack.io: {}",
                              common::View(list.status().message()));
    gate.remedy = fmt::format("check the {} connection flags", cluster);
    return gate;
  }
  std::vector<std::string> bad;
  size_t total = 0;
  if (list->contains("items") && (*list)["items"].is_array()) {
    for (const json& machine : (*list)["items"]) {
      ++total;
      std::string name = k8s::NameOf(machine);
      if (name.empty()) name = "?";
      const json::json_pointer phase_path("/status/phase");
      const std::string phase = machine.contains(phase_path) && machine[phase_path].is_string()
                                    ? machine[phase_path].get<std::string>()
                                    : "";
      if (phase != "Running") {
        bad.push_back(fmt::format("{} ({})", name, phase.empty() ? "no phase" : phase));
      }
    }
  }
  if (bad.empty()) {
    gate.passed = true;
    gate.detail = fmt::format("{} Machine(s), all Running", total);
    return gate;
  }
  std::string names;
  for (const std::string& item : bad) names += (names.empty() ? "" : ", ") + item;
  gate.detail = fmt::format("{} of {} Machine(s) not Running: {}", bad.size(), total, names);
  gate.remedy = fmt::format(
      "fix these Machines on the {} (kubectl get machines.platform.tkestack.io) before going on",
      cluster);
  return gate;
}

std::string UrlHost(const std::string& url) {
  std::string rest = url;
  if (auto scheme = rest.find("://"); scheme != std::string::npos) rest = rest.substr(scheme + 3);
  if (auto slash = rest.find('/'); slash != std::string::npos) rest = rest.substr(0, slash);
  if (!rest.empty() && rest[0] == '[') {
    auto close = rest.find(']');
    return close == std::string::npos ? rest.substr(1) : rest.substr(1, close - 1);
  }
  if (std::count(rest.begin(), rest.end(), ':') == 1) rest = rest.substr(0, rest.find(':'));
  return rest;
}

GateResult EvaluateAlternativeUrls(const std::string& cluster,
                                   const absl::StatusOr<json>& product_base,
                                   const std::string& vip) {
  GateResult gate("alternative-urls/" + cluster);
  if (vip.empty()) {
    gate.detail = "no --standby-vip given";
    gate.remedy = "pass --standby-vip <standby VIP> (the standby console is reached through it)";
    return gate;
  }
  if (!product_base.ok()) {
    gate.detail = fmt::format("cannot read ProductBase base: {}",
                              common::View(product_base.status().message()));
    gate.remedy = fmt::format("check the {} connection flags", cluster);
    return gate;
  }
  const json::json_pointer path("/spec/alternativeURLs");
  std::string listed;
  if (product_base->contains(path) && (*product_base)[path].is_array()) {
    for (const json& url : (*product_base)[path]) {
      if (!url.is_string()) continue;
      listed += (listed.empty() ? "" : ", ") + url.get<std::string>();
      if (UrlHost(url.get<std::string>()) == UrlHost(vip)) {
        gate.passed = true;
        gate.detail = fmt::format("lists {}", url.get<std::string>());
        return gate;
      }
    }
  }
  gate.detail = fmt::format("spec.alternativeURLs [{}] lacks the standby VIP {}", listed, vip);
  gate.remedy = fmt::format(
      "add https://{} to spec.alternativeURLs (kubectl edit productbase base), so the standby "
      "console can be reached during its upgrade",
      vip);
  return gate;
}

GateResult EvaluateSourceUp(const absl::StatusOr<std::string>& metrics) {
  GateResult gate("etcd-2379");
  if (!metrics.ok()) {
    gate.detail = fmt::format("cannot read the monitor's /metrics (etcd_sync_source_up): {}",
                              common::View(metrics.status().message()));
    gate.remedy =
        "the 2379 path is read from the running etcd-sync on the standby; check its pods "
        "(kubectl -n cpaas-system get pods -l app=etcd-sync)";
    return gate;
  }
  const std::optional<double> up = MetricValue(*metrics, "etcd_sync_source_up");
  if (up.value_or(0) == 1) {
    gate.passed = true;
    gate.detail = "the standby's etcd-sync reaches the active etcd (etcd_sync_source_up 1)";
    return gate;
  }
  gate.detail = up ? "the standby's etcd-sync cannot reach the active etcd (etcd_sync_source_up 0)"
                   : "the monitor reports no etcd_sync_source_up";
  gate.remedy =
      "forward TCP 2379 on the active VIP to its control-plane nodes (TCP only, no L7), or set "
      "the plugin's Active Global Cluster ETCD Endpoints to reachable addresses";
  return gate;
}

GateResult EvaluateEtcdReachable(const std::vector<std::pair<std::string, absl::Status>>& results) {
  GateResult gate("etcd-2379");
  if (results.empty()) {
    gate.passed = true;
    gate.detail =
        "not checked (no --primary-etcd-endpoints: the sync reaches the active etcd directly)";
    return gate;
  }
  std::string failed;
  for (const auto& [endpoint, status] : results) {
    if (!status.ok()) {
      failed += fmt::format("{}{} ({})", failed.empty() ? "" : ", ", endpoint,
                            common::View(status.message()));
    }
  }
  if (failed.empty()) {
    gate.passed = true;
    gate.detail = fmt::format("{} endpoint(s) accept TCP connections", results.size());
    return gate;
  }
  gate.detail = "unreachable: " + failed;
  gate.remedy =
      "forward TCP 2379 on the primary VIP to its control-plane nodes (TCP only, no L7), or "
      "give the sync the etcd endpoints directly";
  return gate;
}

std::optional<double> MetricValue(const std::string& metrics, const std::string& name) {
  std::istringstream lines(metrics);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line.compare(0, name.size(), name) != 0) continue;
    if (line.size() <= name.size() ||
        (line[name.size()] != ' ' && line[name.size()] != '\t' && line[name.size()] != '{')) {
      continue;
    }
    // `name{labels} value [timestamp]`: skip the labels (a quoted value may hold spaces,
    // braces and escaped quotes), then the value is the next token, never the timestamp.
    size_t at = name.size();
    if (line[at] == '{') {
      bool quoted = false;
      for (++at; at < line.size(); ++at) {
        if (quoted && line[at] == '\\') {
          ++at;
        } else if (line[at] == '"') {
          quoted = !quoted;
        } else if (!quoted && line[at] == '}') {
          break;
        }
      }
      if (at >= line.size()) return std::nullopt;  // unterminated labels
      ++at;
    }
    const size_t start = line.find_first_not_of(" \t", at);
    if (start == std::string::npos) return std::nullopt;
    const size_t end = line.find_first_of(" \t", start);
    const std::string value =
        line.substr(start, end == std::string::npos ? std::string::npos : end - start);
    try {
      size_t used = 0;
      const double parsed = std::stod(value, &used);
      if (used != value.size()) return std::nullopt;
      return parsed;
    } catch (...) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

GateResult EvaluateSyncLeader(const absl::StatusOr<std::string>& metrics,
                              const absl::StatusOr<json>& lease) {
  GateResult gate("sync-leader");
  if (metrics.ok() && MetricValue(*metrics, "etcd_sync_leader").value_or(0) == 1) {
    gate.passed = true;
    gate.detail = "etcd-sync-monitor reports etcd_sync_leader 1";
    return gate;
  }
  if (!metrics.ok()) {
    // No replica answers: a Lease left behind by a stopped sync proves nothing.
    gate.detail = fmt::format("cannot read the monitor's /metrics: {}",
                              common::View(metrics.status().message()));
    gate.remedy =
        "check the etcd-sync pods on the standby (kubectl -n cpaas-system get pods -l "
        "app=etcd-sync)";
    return gate;
  }
  if (lease.ok()) {
    const json::json_pointer holder("/spec/holderIdentity");
    if (lease->contains(holder) && (*lease)[holder].is_string() &&
        !(*lease)[holder].get<std::string>().empty()) {
      gate.passed = true;
      gate.detail =
          fmt::format("Lease etcd-sync-mirror held by {}", (*lease)[holder].get<std::string>());
      return gate;
    }
  }
  gate.detail = "no etcd-sync replica holds the leader lease";
  gate.remedy =
      "check the etcd-sync pods on the standby (kubectl -n cpaas-system logs -l app=etcd-sync | "
      "grep 'Acquired leader lease')";
  return gate;
}

}  // namespace dr
