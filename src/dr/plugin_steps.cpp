#include "dr/plugin_steps.h"

#include <fmt/format.h>

#include "bootstrap/bootstrap.h"
#include "common/absl_fmt.h"
#include "common/status_macros.h"
#include "common/version_compare.h"
#include "dr/monitor_client.h"
#include "dr/poll.h"
#include "k8s/json_fields.h"
#include "platform/readers.h"
#include "platform/resources.h"

namespace dr {

using nlohmann::json;

namespace {

// The leader pod named by Lease cpaas-system/etcd-sync-mirror, when that pod exists (a
// Lease left by an uninstalled or restarted sync names a pod that is gone).
std::string LivePodHolder(k8s::RestClient& standby) {
  auto lease = standby.Get(platform::kLeases, platform::kPlatformNamespace, "etcd-sync-mirror");
  if (!lease.ok()) return "";
  const std::string holder = k8s::StringAt(*lease, "/spec/holderIdentity");
  if (holder.empty() || !standby.Get(platform::kPods, platform::kPlatformNamespace, holder).ok())
    return "";
  return holder;
}

}  // namespace

bool NeedsActiveToken(const std::string& version) {
  return !version.empty() && common::CompareVersions(version, "4.3.1") >= 0;
}

absl::StatusOr<std::string> TokenRuleVersion(DrContext& context) {
  if (!context.options().target_version.empty()) return context.options().target_version;
  auto reading = platform::ReadCurrentVersion(context.primary_client(), platform::kGlobalCluster);
  if (!reading.ok()) return reading.status();
  return reading->version;
}

namespace {

std::string ConfigString(const json& plugin, const std::string& key) {
  const json::json_pointer pointer("/spec/config/" + key);
  if (!plugin.is_object() || !plugin.contains(pointer)) return "";
  const json& value = plugin.at(pointer);
  return value.is_string() ? value.get<std::string>() : "";
}

}  // namespace

absl::Status CreateActiveToken(DrContext& context, StepRun& run) {
  ASSIGN_OR_RETURN(const std::string version, TokenRuleVersion(context));
  if (!NeedsActiveToken(version)) {
    run.record().message =
        fmt::format("not needed: {} is before 4.3.1", version.empty() ? "the version" : version);
    return absl::OkStatus();
  }
  auto admin =
      context.primary_client().Get(platform::kSecrets, platform::kPlatformNamespace, "k8sadmin");
  if (absl::IsNotFound(admin.status())) {
    return absl::FailedPreconditionError(
        "Secret cpaas-system/k8sadmin is not on the active cluster: the sync's token comes from "
        "it (acp-spec §8.3); check the active cluster, then rerun");
  }
  if (!admin.ok()) return admin.status();
  const std::string token = k8s::StringAt(*admin, "/data/token");  // base64, copied as is
  if (token.empty()) {
    return absl::FailedPreconditionError(
        "Secret cpaas-system/k8sadmin on the active cluster has no data.token; check it, then "
        "rerun");
  }
  k8s::RestClient& standby = context.standby_client();
  auto existing = standby.Get(platform::kSecrets, platform::kPlatformNamespace, kActiveTokenSecret);
  if (!existing.ok() && !absl::IsNotFound(existing.status())) return existing.status();
  std::string outcome = "unchanged";
  if (!existing.ok()) {
    json secret = {{"apiVersion", "v1"},
                   {"kind", "Secret"},
                   {"type", "Opaque"},
                   {"metadata",
                    {{"name", kActiveTokenSecret},
                     {"namespace", platform::kPlatformNamespace},
                     {"labels", {{"app.kubernetes.io/managed-by", "ac-adm-dr"}}}}},
                   {"data", {{"token", token}}}};
    auto created = standby.Create(platform::kSecrets, platform::kPlatformNamespace, secret);
    if (!created.ok()) return created.status();
    outcome = "created";
  } else if (k8s::StringAt(*existing, "/data/token") != token) {
    json secret = *existing;
    secret["data"]["token"] = token;
    auto updated = standby.Update(platform::kSecrets, platform::kPlatformNamespace, secret);
    if (!updated.ok()) return updated.status();
    outcome = "updated";
  }
  run.out << fmt::format(
      "      Secret cpaas-system/{} on the standby {} (key token from Secret "
      "cpaas-system/k8sadmin on the active cluster)\n",
      kActiveTokenSecret, outcome);
  std::string vip = context.options().primary_vip;
  if (vip.empty()) vip = ConfigString(run.journal.saved_plugin, "active-global-vip");
  if (vip.empty()) {
    run.record().message = fmt::format(
        "token Secret {}; no active-global-vip known here: the plugin's Job "
        "etcd-sync-bootstrap prepares the remote etcd credentials on install",
        outcome);
    return absl::OkStatus();
  }
  bootstrap::Options options;
  options.active_global_vip = vip;
  auto bootstrapped = bootstrap::Run(standby, options);
  if (!bootstrapped.ok()) {
    return absl::Status(bootstrapped.status().code(),
                        fmt::format("etcd-sync bootstrap against {}: {}", vip,
                                    common::View(bootstrapped.status().message())));
  }
  for (const std::string& change : bootstrapped->changes) {
    run.out << "      bootstrap: " << change << "\n";
  }
  run.record().message = fmt::format("token Secret {}; bootstrap done against {}", outcome, vip);
  return absl::OkStatus();
}

const std::vector<std::string>& LegacyTokenKeys() {
  static const std::vector<std::string> keys = {"active-token", "active-cluster-token"};
  return keys;
}

absl::Status RemoveLegacyToken(DrContext& context, StepRun& run) {
  ASSIGN_OR_RETURN(const std::string version, TokenRuleVersion(context));
  if (!NeedsActiveToken(version)) {
    run.record().message =
        fmt::format("not needed: {} is before 4.3.1", version.empty() ? "the version" : version);
    return absl::OkStatus();
  }
  k8s::RestClient& standby = context.standby_client();
  auto list = standby.List(platform::kModuleInfos, "", PluginSelector(kSyncModuleName));
  if (!list.ok()) return list.status();
  int removed = 0;
  for (const json& plugin : k8s::ItemsOf(*list)) {
    json config = json::object();
    for (const std::string& key : LegacyTokenKeys()) {
      if (plugin.contains(json::json_pointer("/spec/config/" + key))) config[key] = nullptr;
    }
    if (config.empty()) continue;
    auto patched = standby.MergePatch(platform::kModuleInfos, "", k8s::NameOf(plugin),
                                      {{"spec", {{"config", config}}}});
    if (!patched.ok()) return patched.status();
    run.out << fmt::format("      removed the legacy plain-token field(s) from ModuleInfo {}\n",
                           k8s::NameOf(plugin));
    removed += static_cast<int>(config.size());
  }
  json& saved = run.journal.saved_plugin;
  if (saved.is_object() && saved.contains("spec") && saved["spec"].contains("config") &&
      saved["spec"]["config"].is_object()) {
    for (const std::string& key : LegacyTokenKeys()) saved["spec"]["config"].erase(key);
    if (auto stored = run.save(); !stored.ok()) return stored;
  }
  run.record().message = removed == 0 ? "no legacy plain-token configuration"
                                      : fmt::format("{} legacy token field(s) removed", removed);
  return absl::OkStatus();
}

absl::StatusOr<json> ReversedPluginConfig(const json& plugin, const std::string& active_vip,
                                          const std::vector<std::string>& source_endpoints,
                                          std::string* note) {
  const std::string old_vip = ConfigString(plugin, "active-global-vip");
  const std::string old_endpoints = ConfigString(plugin, "source-endpoints");
  if (old_vip.empty() && old_endpoints.empty()) {
    *note = "the plugin's config names no active-global-vip or source-endpoints: unchanged";
    return plugin;
  }
  if (active_vip.empty() && source_endpoints.empty()) {
    return absl::FailedPreconditionError(fmt::format(
        "the saved plugin points its sync at the old primary (active-global-vip {}, "
        "source-endpoints {}); give --primary-vip <the new primary's VIP> (and "
        "--primary-etcd-endpoints when 2379 is not forwarded) for the reversed direction",
        old_vip.empty() ? "-" : old_vip, old_endpoints.empty() ? "-" : old_endpoints));
  }
  if (!old_vip.empty() && active_vip.empty()) {
    return absl::FailedPreconditionError(fmt::format(
        "the saved plugin's active-global-vip is the old primary's ({}); give --primary-vip "
        "<the new primary's VIP>",
        old_vip));
  }
  json out = plugin;
  json& config = out["spec"]["config"];
  std::string endpoints;
  for (const std::string& endpoint : source_endpoints) {
    endpoints += (endpoints.empty() ? "" : ",") + endpoint;
  }
  if (endpoints.empty()) endpoints = fmt::format("https://{}:2379", active_vip);
  if (!old_vip.empty()) config["active-global-vip"] = active_vip;
  config["source-endpoints"] = endpoints;
  *note =
      fmt::format("plugin config reversed: active-global-vip {} -> {}, source-endpoints {} -> {}",
                  old_vip.empty() ? "-" : old_vip, old_vip.empty() ? "-" : active_vip,
                  old_endpoints.empty() ? "-" : old_endpoints, endpoints);
  return out;
}

std::string PluginSelector(const std::string& module_name) {
  return fmt::format("{}={},{}={}", kModuleNameLabel, module_name, kClusterNameLabel,
                     platform::kGlobalCluster);
}

json ObjectForRecreate(const json& object) {
  json out = object;
  out.erase("status");
  if (out.contains("metadata") && out["metadata"].is_object()) {
    for (const char* field :
         {"resourceVersion", "uid", "creationTimestamp", "generation", "managedFields", "selfLink",
          "deletionTimestamp", "deletionGracePeriodSeconds"}) {
      out["metadata"].erase(field);
    }
  }
  return out;
}

absl::Status CheckGateStep(DrContext& context, StepRun& run, const CheckScope& scope) {
  CheckReport report = RunDrCheck(context, scope);
  for (const GateResult& gate : report.gates) {
    run.out << fmt::format("      {:<7} {:<24} {}\n", gate.passed ? "ok" : "BLOCKED", gate.name,
                           gate.detail);
  }
  if (report.Blocked()) {
    return absl::FailedPreconditionError("the DR check blocks: " + report.BlockersSummary());
  }
  return absl::OkStatus();
}

absl::Status UninstallSyncPlugin(DrContext& context, StepRun& run, const PluginLocation& where) {
  const bool standby = where.side == Side::kStandby;
  k8s::RestClient& client = context.client(standby);
  const std::string selector = PluginSelector(where.module_name);
  auto list = client.List(platform::kModuleInfos, "", selector);
  if (!list.ok()) return list.status();
  const json& items = (*list)["items"];
  if (items.size() > 1) {
    return absl::FailedPreconditionError(
        fmt::format("{} ModuleInfos on the {} carry {}; uninstall the extra ones by hand and rerun",
                    items.size(), SideName(where.side), selector));
  }
  if (items.empty() && run.journal.saved_plugin.is_null()) {
    return absl::FailedPreconditionError(fmt::format(
        "no ModuleInfo with {} on the {}: the {} plugin is not installed there, so the pair is "
        "not in sync; install it (Marketplace > Cluster Plugins > global) and rerun",
        selector, SideName(where.side), where.module_name));
  }
  if (!items.empty()) {
    const json& plugin = items[0];
    const std::string name = k8s::NameOf(plugin);
    if (run.journal.saved_plugin.is_null()) {
      // Saved before the delete, so a crash between the two loses nothing.
      run.journal.saved_plugin = ObjectForRecreate(plugin);
      if (auto saved = run.save(); !saved.ok()) return saved;
      run.out << fmt::format("      saved ModuleInfo {} to the journal\n", name);
    }
    auto removed = client.Delete(platform::kModuleInfos, "", name);
    if (!removed.ok() && !absl::IsNotFound(removed)) return removed;
    run.out << fmt::format("      deleted ModuleInfo {} on the {}\n", name, SideName(where.side));
  }
  RETURN_IF_ERROR(
      PollUntil(context, "the plugin's ModuleInfo to disappear", [&]() -> absl::StatusOr<bool> {
        auto now = client.List(platform::kModuleInfos, "", selector);
        if (!now.ok()) return now.status();
        return (*now)["items"].empty();
      }));
  RETURN_IF_ERROR(PollUntil(
      context, "etcd-sync to stop (its monitor still answers)", [&]() -> absl::StatusOr<bool> {
        auto url = context.MonitorUrl();
        return !url.ok() || !MonitorClient(*url, context.options().monitor_token).Answers();
      }));
  run.out << "      the sync has stopped (etcd-sync-monitor no longer answers)\n";
  return absl::OkStatus();
}

absl::Status ReinstallSyncPlugin(DrContext& context, StepRun& run, const json& fallback) {
  k8s::RestClient& standby = context.standby_client();
  const std::string selector = PluginSelector(kSyncModuleName);
  auto list = standby.List(platform::kModuleInfos, "", selector);
  if (!list.ok()) return list.status();
  if (!(*list)["items"].empty()) {
    run.out << "      the etcd Synchronizer ModuleInfo is already on the standby\n";
    return absl::OkStatus();
  }
  json plugin = run.journal.saved_plugin.is_null() ? fallback : run.journal.saved_plugin;
  if (plugin.is_null() || !plugin.is_object()) {
    return absl::FailedPreconditionError(
        "the journal holds no saved etcd Synchronizer object to re-create; pass --plugin-object "
        "<file> with its ModuleInfo (JSON or YAML)");
  }
  plugin = ObjectForRecreate(plugin);
  json& labels = plugin["metadata"]["labels"];
  if (labels.value(kModuleNameLabel, "") != kSyncModuleName) {
    // From 3.18 the plugin moves from the primary (EtcdSync) to the standby (etcd-sync).
    labels[kModuleNameLabel] = kSyncModuleName;
    plugin["metadata"]["name"] = fmt::format("{}-{}", platform::kGlobalCluster, kSyncModuleName);
  }
  labels[kClusterNameLabel] = platform::kGlobalCluster;
  auto created = standby.Create(platform::kModuleInfos, "", plugin);
  if (!created.ok() && !absl::IsAlreadyExists(created.status())) return created.status();
  run.out << fmt::format("      created ModuleInfo {} on the standby\n", k8s::NameOf(plugin));
  return absl::OkStatus();
}

absl::Status WaitSyncStart(DrContext& context, StepRun& run) {
  RETURN_IF_ERROR(PollUntil(
      context, "`Start Sync update` (etcd-sync's initial copy) and no replication lag",
      [&]() -> absl::StatusOr<bool> {
        auto url = context.MonitorUrl();
        return url.ok() && MonitorClient(*url, context.options().monitor_token).SyncCaughtUp();
      }));
  run.out << "      Start Sync update: the leader finished its initial copy and caught up "
             "(etcd_sync_lag_events 0)\n";
  return absl::OkStatus();
}

absl::Status RestartSyncLeader(DrContext& context, StepRun& run) {
  k8s::RestClient& standby = context.standby_client();
  json& notes = run.notes();
  // The pods to restart are chosen once and recorded before they are deleted: a rerun after
  // a crash deletes the same pods (again, if the crash came first), never the new leader.
  if (!notes.contains("pods")) {
    std::vector<std::string> victims;
    if (std::string holder = LivePodHolder(standby); !holder.empty()) {
      victims.push_back(holder);
    } else {
      // No Lease says who leads: restarting every replica restarts the leader too.
      auto pods = standby.List(platform::kPods, platform::kPlatformNamespace, "app=etcd-sync");
      if (!pods.ok()) return pods.status();
      for (const json& item : (*pods)["items"]) {
        victims.push_back(k8s::NameOf(item));
      }
      if (victims.empty()) {
        return absl::FailedPreconditionError(
            "no etcd-sync pod on the standby (no Lease cpaas-system/etcd-sync-mirror holder, no "
            "pod labelled app=etcd-sync); check the plugin's Deployment and rerun");
      }
    }
    notes["pods"] = victims;
    if (auto saved = run.save(); !saved.ok()) return saved;
  }
  for (const json& victim : notes["pods"]) {
    auto removed =
        standby.Delete(platform::kPods, platform::kPlatformNamespace, victim.get<std::string>());
    if (removed.ok()) {
      run.out << fmt::format("      deleted etcd-sync pod cpaas-system/{}\n",
                             victim.get<std::string>());
    } else if (!absl::IsNotFound(removed)) {
      return removed;
    }
  }
  const std::string old_pod = notes["pods"][0].get<std::string>();
  RETURN_IF_ERROR(
      PollUntil(context, "a new etcd-sync leader after the restart", [&]() -> absl::StatusOr<bool> {
        // The Lease names a live pod other than the deleted one; or (no Lease, or it names
        // no live pod) the old pod is gone - its container ended - and another one exists.
        const std::string holder = LivePodHolder(standby);
        if (!holder.empty()) return holder != old_pod;
        if (!absl::IsNotFound(
                standby.Get(platform::kPods, platform::kPlatformNamespace, old_pod).status())) {
          return false;
        }
        auto pods = standby.List(platform::kPods, platform::kPlatformNamespace, "app=etcd-sync");
        return pods.ok() && !(*pods)["items"].empty();
      }));
  return WaitSyncStart(context, run);
}

}  // namespace dr
