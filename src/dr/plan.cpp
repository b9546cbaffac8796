#include "dr/plan.h"

#include <fmt/format.h>

#include "common/version_compare.h"
#include "dr/cluster_checks.h"
#include "dr/dr_context.h"
#include "dr/failover_steps.h"
#include "dr/plugin_steps.h"
#include "dr/upgrade_steps.h"
#include "platform/resources.h"

namespace dr {

using nlohmann::json;

std::vector<std::string> Plan::StepNames() const {
  std::vector<std::string> names;
  for (const Step& step : steps) names.push_back(step.name);
  return names;
}

const Step* Plan::Find(const std::string& name) const {
  for (const Step& step : steps) {
    if (step.name == name) return &step;
  }
  return nullptr;
}

std::string DefaultJournalFile(const std::string& operation) {
  return fmt::format("dr-{}-journal.json", operation);
}

std::string JournalConfigMap(const std::string& operation) {
  return fmt::format("dr-{}-journal", operation);
}

bool JournalOnStandby(const std::string& operation) { return operation == kFailover; }

absl::StatusOr<PluginLocation> PluginLocationFor(const std::string& source_version) {
  if (source_version.empty()) {
    return absl::InvalidArgumentError(
        "the source version is unknown (no cvsh global status.current.version and no "
        "ProductBase base spec.version on the primary); pass --from <version>");
  }
  if (common::CompareVersions(source_version, "3.18") < 0) {
    return absl::InvalidArgumentError(fmt::format(
        "source version {}: the 3.16 etcd-mirror is a helm release on a primary node "
        "(acp-spec.md §5 step 2); uninstall it by hand, then rerun with --from 4.0 or later",
        source_version));
  }
  if (common::CompareVersions(source_version, "4.0") < 0) {
    return PluginLocation{Side::kPrimary, "EtcdSync",
                          "3.18 ran the EtcdSync plugin on the primary"};
  }
  return PluginLocation{Side::kStandby, kSyncModuleName,
                        "4.0+ runs the etcd Synchronizer on the standby"};
}

namespace {

const std::vector<std::string> kCheckGates = {
    "etcd-sync-monitor /check: 0 missed and 0 surplus keys",
    "machines.platform.tkestack.io: every Machine Running on both clusters",
    "ProductBase base spec.alternativeURLs lists the standby VIP",
    "port 2379: the standby's etcd-sync reaches the active etcd (monitor etcd_sync_source_up 1)",
    "etcd-sync leader present"};

const std::vector<std::string> kWaitSyncGates = {
    "etcd-sync-monitor /metrics: etcd_sync_leader 1, etcd_sync_initial_copy_done 1, "
    "etcd_sync_lag_events 0"};
const std::vector<std::string> kRestartLeaderGates = {"a new leader", "`Start Sync update` again"};

const char* const kRestartStandbyPodsTitle =
    "restart Elasticsearch and VictoriaMetrics pods on the standby now the sync is enabled "
    "(§8.4), if installed";
const std::vector<std::string> kRestartStandbyPodsGates = {
    "pods with service_name in (cpaas-elasticsearch, alertmanager, vmselect, vminsert) deleted "
    "in cpaas-system (none: not installed)"};
const char* const kRemoveLegacyTokenTitle =
    "4.3.1+: remove the legacy plain-token configuration once verified (§5 step 8)";
const std::vector<std::string> kRemoveLegacyTokenGates = {
    "no legacy plain-token key in the plugin ModuleInfo's spec.config"};

absl::Status RestartStandbyPodsStep(DrContext& context, StepRun& run) {
  return RestartPlatformPods(context, run, true, StandbyRestartServices());
}

StepAction CheckGate(CheckScope scope = {}) {
  return [scope](DrContext& context, StepRun& run) { return CheckGateStep(context, run, scope); };
}

StepAction UninstallPlugin(PluginLocation where) {
  return [where](DrContext& context, StepRun& run) {
    return UninstallSyncPlugin(context, run, where);
  };
}

absl::Status WaitSyncStartStep(DrContext& context, StepRun& run) {
  return WaitSyncStart(context, run);
}

absl::Status RestartSyncLeaderStep(DrContext& context, StepRun& run) {
  return RestartSyncLeader(context, run);
}

// Binds which cluster a two-sided step function acts on.
StepAction OnSide(absl::Status (*step)(DrContext&, StepRun&, bool), bool standby) {
  return [step, standby](DrContext& context, StepRun& run) { return step(context, run, standby); };
}

}  // namespace

absl::StatusOr<Plan> BuildUpgradePlan(const std::string& source_version,
                                      const std::string& target_version) {
  if (target_version.empty()) return absl::InvalidArgumentError("--to <version> is required");
  auto plugin = PluginLocationFor(source_version);
  if (!plugin.ok()) return plugin.status();
  if (common::CompareVersions(target_version, source_version) <= 0) {
    return absl::InvalidArgumentError(
        fmt::format("--to {} is not newer than the primary's version {}; nothing to upgrade",
                    target_version, source_version));
  }
  Plan plan;
  plan.operation = kUpgrade;
  plan.source_version = source_version;
  plan.target_version = target_version;
  plan.plugin = *plugin;
  plan.migrate_journal = MergeImageSteps;
  const std::string plugin_name =
      plugin->side == Side::kPrimary ? "EtcdSync" : "etcd Synchronizer (etcd-sync)";
  plan.steps = {
      {"check", "DR consistency gate before the plugin is touched (§5 step 1)", Side::kBoth,
       kCheckGates, CheckGate()},
      {"uninstall-sync-plugin",
       fmt::format("save and uninstall the {} plugin on the {} ({})", plugin_name,
                   SideName(plugin->side), plugin->why),
       plugin->side,
       {"plugin ModuleInfo gone", "etcd-sync-monitor stops answering (the sync stopped)"},
       UninstallPlugin(*plugin)},
      {kSyncImagesStep,
       "upgrade.sh --only-sync-image into both registries in one run (--standby-registry and "
       "--primary-registry; resumable per registry)",
       Side::kBoth,
       {"upgrade.sh exits 0"},
       SyncImagesBoth},
      {"upgrade-standby",
       fmt::format("upgrade.sh --skip-sync-image on the standby, request {} (cvsh global)",
                   target_version),
       Side::kStandby,
       {fmt::format("cvsh global history[0] {} Completed", target_version),
        "no Stalled=True condition"},
       OnSide(UpgradeCluster, true)},
      {"verify-standby",
       "verify the standby",
       Side::kStandby,
       {fmt::format("cvsh global status.current.version {}", target_version), "Ready=True",
        "every Machine Running"},
       OnSide(VerifyCluster, true)},
      {"upgrade-primary",
       fmt::format("upgrade.sh --skip-sync-image on the primary, request {} (only after the "
                   "standby finished)",
                   target_version),
       Side::kPrimary,
       {fmt::format("cvsh global history[0] {} Completed", target_version),
        "no Stalled=True condition"},
       OnSide(UpgradeCluster, false)},
      {"verify-primary",
       "verify the primary",
       Side::kPrimary,
       {fmt::format("cvsh global status.current.version {}", target_version), "Ready=True",
        "every Machine Running"},
       OnSide(VerifyCluster, false)},
      {"create-active-token",
       "4.3.1+: Secret etcd-sync-active-cluster-token on the standby from k8sadmin on the "
       "primary, then the bootstrap (§8.3, §5 step 6)",
       Side::kBoth,
       {"Secret cpaas-system/etcd-sync-active-cluster-token holds the primary's k8sadmin token"},
       CreateActiveToken},
      {"reinstall-sync-plugin",
       "re-create the etcd Synchronizer plugin on the standby (§5 step 6)",
       Side::kStandby,
       {"plugin ModuleInfo present on the standby"},
       [](DrContext& context, StepRun& run) {
         return ReinstallSyncPlugin(context, run, nlohmann::json());
       }},
      {"wait-sync-start", "wait for `Start Sync update` (initial copy done, §5 step 7)",
       Side::kStandby, kWaitSyncGates, WaitSyncStartStep},
      {"restart-sync-leader",
       "delete the etcd-sync leader pod so objects with ownerReferences sync again (§5 step 7)",
       Side::kStandby, kRestartLeaderGates, RestartSyncLeaderStep},
      {"restart-standby-pods", kRestartStandbyPodsTitle, Side::kStandby, kRestartStandbyPodsGates,
       RestartStandbyPodsStep},
      {"final-check", "DR consistency gate after the upgrade (§5 step 7)", Side::kBoth, kCheckGates,
       CheckGate()},
      {"remove-legacy-token", kRemoveLegacyTokenTitle, Side::kStandby, kRemoveLegacyTokenGates,
       RemoveLegacyToken},
  };
  if (!NeedsActiveToken(target_version)) {
    // Before 4.3.1 there is no token: the steps are left out of the plan (not skipped at run).
    std::erase_if(plan.steps, [](const Step& step) {
      return step.name == "create-active-token" || step.name == "remove-legacy-token";
    });
  }
  return plan;
}

Plan BuildFailoverPlan(bool primary_lost, const std::string& domain) {
  Plan plan;
  plan.operation = kFailover;
  plan.plugin = {Side::kStandby, kSyncModuleName, "the etcd Synchronizer runs on the standby"};
  std::vector<std::string> check_gates = {
      "etcd-sync-monitor /check: 0 missed and 0 surplus keys",
      primary_lost ? "machines.platform.tkestack.io: every Machine Running on the standby"
                   : "machines.platform.tkestack.io: every Machine Running on both clusters"};
  CheckScope scope;
  scope.primary_machines = !primary_lost;
  scope.alternative_urls = false;
  scope.etcd_reachable = false;
  scope.sync_leader = false;
  Step ensure_es_template = Step::Manual(
      "ensure-es-template", "Elasticsearch index template on the standby (§8.7 step 1)",
      Side::kStandby, {},
      "if Log Storage for Elasticsearch is installed on the standby: copy "
      "installer/res/packaged-scripts/for-upgrade/ensure-asm-template.sh to /root of a "
      "standby control-plane node and run it as root (on a 401, restart the ES pods and run "
      "it again); if ES is not installed there is nothing to do");
  // "If Log Storage for Elasticsearch is installed": no ES pod on the standby, nothing to do.
  ensure_es_template.not_needed = [](DrContext& context) -> absl::StatusOr<std::string> {
    auto pods = context.standby_client().List(platform::kPods, platform::kPlatformNamespace,
                                              "service_name=cpaas-elasticsearch");
    if (!pods.ok()) return pods.status();
    if (pods->contains("items") && (*pods)["items"].is_array() && (*pods)["items"].empty()) {
      return std::string(
          "Elasticsearch is not installed on the standby (no pod "
          "service_name=cpaas-elasticsearch in cpaas-system)");
    }
    return std::string();
  };
  plan.steps = {
      std::move(ensure_es_template),
      {"check", "DR consistency gate before the plugin is touched (§8.7 step 2)", Side::kBoth,
       check_gates, CheckGate(scope)},
      {"uninstall-sync-plugin",
       "save and uninstall the etcd Synchronizer on the standby (§8.7 step 3)",
       Side::kStandby,
       {"plugin ModuleInfo gone", "etcd-sync-monitor stops answering (the sync stopped)"},
       UninstallPlugin(plan.plugin)},
      Step::Manual("remove-2379-forwarding",
                   "remove the 2379 forwarding from both VIPs (§8.7 step 4)", Side::kBoth, {},
                   "on the load balancers of both VIPs, delete the TCP 2379 forwarding rule"),
      Step::Manual("switch-dns", "point the platform domain at the standby VIP (§8.7 step 5)",
                   Side::kStandby,
                   {"with --domain: the domain resolves to --standby-vip from here"},
                   "change the DNS record of the platform access domain to the standby VIP; the "
                   "standby becomes the primary",
                   [primary_lost](DrContext& context, StepRun& run) {
                     return SwitchRoles(context, run, primary_lost);
                   }),
      Step::Manual(
          "check-dns", "the sentry pod resolves the domain to the standby VIP (§8.7 step 6)",
          Side::kStandby, {},
          fmt::format("on the new primary run `{}`; it must answer the standby VIP. If it does "
                      "not, rerun with --confirm check-dns --restart-coredns (the coredns pods "
                      "are restarted), check again, then --confirm check-dns",
                      DnsCheckCommand(domain)),
          CheckDnsStep),
      Step::Manual("confirm-console", "the console shows the former standby (§8.7 step 7)",
                   Side::kStandby, {},
                   "clear the browser cache, open the platform domain and confirm the UI is the "
                   "former standby"),
      {"restart-platform-pods",
       "restart Elasticsearch, VictoriaMetrics and cluster-transformer pods on the new primary "
       "(§8.7 step 8)",
       Side::kStandby,
       {"pods with service_name in (cpaas-elasticsearch, alertmanager, vmselect, vminsert, "
        "cluster-transformer) deleted in cpaas-system"},
       [](DrContext& context, StepRun& run) {
         return RestartPlatformPods(context, run, true, NewPrimaryRestartServices());
       }},
      {"restart-warlock",
       "restart warlock on the workload clusters, which sent monitoring data to the old primary "
       "(§8.7 step 9)",
       Side::kWorkloads,
       {"pods with service_name=warlock deleted in cpaas-system of every workload cluster the new "
        "primary lists"},
       RestartWarlockOnWorkloads},
  };
  return plan;
}

Plan BuildReenablePlan() {
  Plan plan;
  plan.operation = kReenable;
  plan.plugin = {Side::kStandby, kSyncModuleName,
                 "the old primary becomes the standby and runs the etcd Synchronizer"};
  plan.steps = {
      Step::Manual("restore-2379-forwarding",
                   "forward 2379 to the new primary's control-plane nodes", Side::kBoth, {},
                   "only in LB-forwarding mode: forward TCP 2379 on the new primary's VIP to its "
                   "control-plane nodes (not needed when the standby reaches the active etcd "
                   "directly)"),
      {"create-active-token",
       "4.3.1+: Secret etcd-sync-active-cluster-token on the new standby from k8sadmin on the "
       "new primary, then the bootstrap (§8.3)",
       Side::kBoth,
       {"below 4.3.1 (the new primary's version): nothing to do"},
       CreateActiveToken},
      {"reinstall-sync-plugin",
       "install the etcd Synchronizer on the new standby (the old primary), its config turned "
       "to the new direction (§8.7 step 10)",
       Side::kStandby,
       {"plugin ModuleInfo present on the new standby"},
       ReinstallOnOldPrimary},
      {"wait-sync-start", "wait for `Start Sync update`", Side::kStandby, kWaitSyncGates,
       WaitSyncStartStep},
      {"restart-sync-leader", "delete the etcd-sync leader pod so owned objects sync again",
       Side::kStandby, kRestartLeaderGates, RestartSyncLeaderStep},
      {"restart-standby-pods", kRestartStandbyPodsTitle, Side::kStandby, kRestartStandbyPodsGates,
       RestartStandbyPodsStep},
      {"final-check", "DR consistency gate of the new pair", Side::kBoth, kCheckGates, CheckGate()},
      {"remove-legacy-token", kRemoveLegacyTokenTitle, Side::kStandby, kRemoveLegacyTokenGates,
       RemoveLegacyToken},
  };
  return plan;
}

absl::Status CheckConfirmations(const Plan& plan, const std::vector<std::string>& confirmed) {
  for (const std::string& name : confirmed) {
    const Step* step = plan.Find(name);
    if (!step || !step->manual) {
      return absl::InvalidArgumentError(
          fmt::format("--confirm {}: not a manual step of this plan (see --plan)", name));
    }
  }
  return absl::OkStatus();
}

namespace {

const StepRecord* RecordFor(const Journal* journal, const std::string& name) {
  return journal ? journal->Find(name) : nullptr;
}

const char* Mark(const StepRecord* record) {
  if (!record) return "[ ]";
  switch (record->state) {
    case StepState::kDone:
      return "[x]";
    case StepState::kRunning:
      return "[>]";
    case StepState::kFailed:
      return "[!]";
    case StepState::kPending:
      return "[ ]";
  }
  return "[ ]";
}

}  // namespace

std::string RenderPlanText(const Plan& plan, const Journal* journal) {
  std::string out;
  if (plan.operation == kUpgrade) {
    out += fmt::format("DR upgrade {} -> {}: {} steps; plugin on the {} ({})\n",
                       plan.source_version, plan.target_version, plan.steps.size(),
                       SideName(plan.plugin.side), plan.plugin.module_name);
  } else {
    out += fmt::format("DR {}: {} steps\n", plan.operation, plan.steps.size());
  }
  if (journal) {
    size_t done = 0;
    for (const StepRecord& step : journal->steps) done += step.state == StepState::kDone ? 1 : 0;
    out += fmt::format("journal: {} of {} steps done, updated {}\n", done, journal->steps.size(),
                       journal->updated_at.empty() ? "never" : journal->updated_at);
  }
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const Step& step = plan.steps[i];
    const StepRecord* record = RecordFor(journal, step.name);
    out += fmt::format("{} {:>2}. {:<24} {:<8} {}{}\n", Mark(record), i + 1, step.name,
                       SideName(step.side), step.manual ? "MANUAL: " : "", step.title);
    for (const std::string& gate : step.gates) out += fmt::format("         gate: {}\n", gate);
    if (step.manual) out += fmt::format("         do: {}\n", step.instruction);
    if (record && record->state != StepState::kPending) {
      out += fmt::format("         {} {}{}{}\n", StepStateName(record->state),
                         record->finished_at.empty() ? record->started_at : record->finished_at,
                         record->seconds > 0 ? fmt::format(" ({:.1f}s)", record->seconds) : "",
                         record->message.empty() ? "" : ": " + record->message);
    }
  }
  if (plan.operation == kUpgrade) {
    out +=
        "No workload cluster is touched by this plan; upgrade workload clusters only after it "
        "is complete (acp-spec.md §1 rule 3).\n";
  }
  return out;
}

json RenderPlanJson(const Plan& plan, const Journal* journal) {
  json steps = json::array();
  for (const Step& step : plan.steps) {
    json item = {{"name", step.name},
                 {"title", step.title},
                 {"cluster", SideName(step.side)},
                 {"gates", step.gates},
                 {"manual", step.manual}};
    if (step.manual) item["instruction"] = step.instruction;
    const StepRecord* record = RecordFor(journal, step.name);
    item["state"] = record ? StepStateName(record->state) : "pending";
    if (record) {
      item["startedAt"] = record->started_at;
      item["finishedAt"] = record->finished_at;
      item["seconds"] = record->seconds;
      item["attempts"] = record->attempts;
      item["message"] = record->message;
    }
    steps.push_back(item);
  }
  json out = {{"operation", plan.operation}, {"steps", steps}};
  if (plan.operation == kUpgrade) {
    out["sourceVersion"] = plan.source_version;
    out["targetVersion"] = plan.target_version;
    out["plugin"] = {{"cluster", SideName(plan.plugin.side)},
                     {"moduleName", plan.plugin.module_name}};
  }
  if (journal) {
    out["journal"] = {{"sequence", journal->sequence},
                      {"updatedAt", journal->updated_at},
                      {"complete", journal->Complete()}};
  }
  return out;
}

}  // namespace dr
