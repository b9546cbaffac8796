// `ac adm upgrade`: show a cluster's version, available updates and preflight, request an
// upgrade (--to/--to-latest), watch it (`status`), and the Functional Components dialog
// (`components`). The engine is src/upgrade; exit codes are in README "ac adm upgrade".
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <thread>

#include "ac_commands.h"
#include "cli/connection_flags.h"
#include "cli/fail.h"
#include "common/absl_fmt.h"
#include "common/exit_codes.h"
#include "k8s/json_fields.h"
#include "platform/connection.h"
#include "platform/readers.h"
#include "platform/resources.h"
#include "upgrade/components.h"
#include "upgrade/name_list.h"
#include "upgrade/preflight_inputs.h"
#include "upgrade/release_manifest.h"
#include "upgrade/status_view.h"
#include "upgrade/topolvm_steps.h"
#include "upgrade/upgrade_request.h"
#include "upgrade/version_rules.h"

namespace {

// The one exit-code table (common/exit_codes.h), as README "ac adm upgrade" documents it.
constexpr int kExitOk = exit_code::kOk;
constexpr int kExitError = exit_code::kClusterUnreachable;  // cluster unreachable, API error
constexpr int kExitUsage = exit_code::kUsage;               // bad flags, unknown component
constexpr int kExitRefused = exit_code::kBlocked;       // request or Target refused by the rules
constexpr int kExitWaitTimeout = exit_code::kTimedOut;  // --wait timed out

using cli::Fail;

int CodeFor(const absl::Status& status) {
  if (absl::IsFailedPrecondition(status)) return kExitRefused;
  if (absl::IsInvalidArgument(status)) return kExitUsage;
  return kExitError;
}

struct CommonFlags {
  cli::ConnectionFlags connection;
  std::string cluster = "global";
};

void AddCommonFlags(CLI::App& app, CommonFlags& flags) {
  cli::AddConnectionFlags(app, flags.connection);
  app.add_option("--cluster", flags.cluster, "cluster name (default global)");
}

absl::StatusOr<std::unique_ptr<k8s::RestClient>> GlobalClient(const CommonFlags& flags) {
  auto config =
      platform::ConfigForCluster(cli::ToConnection(flags.connection), platform::kGlobalCluster);
  if (!config.ok()) return absl::InvalidArgumentError(config.status().message());
  return std::make_unique<k8s::RestClient>(*config);
}

// On a terminal: the question and a y/yes answer.
bool AskYes(const std::string& question) {
  if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) return false;
  std::cout << question << " [y/N]: " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes";
}

int ShowOrRequest(const CommonFlags& flags, const std::string& to, bool latest, bool allow_explicit,
                  bool acknowledge) {
  auto global = GlobalClient(flags);
  if (!global.ok()) return Fail(kExitUsage, global.status());
  if (!to.empty() && latest) return Fail(kExitUsage, "--to and --to-latest are alternatives");
  if (to.empty() && !latest) {
    if (allow_explicit) return Fail(kExitUsage, "--allow-explicit-upgrade goes with --to");
    auto cvsh = upgrade::ReadShadow(**global, flags.cluster);
    if (!cvsh.ok()) return Fail(kExitError, cvsh.status());
    std::cout << upgrade::RenderOverview(*cvsh);
    return kExitOk;
  }
  upgrade::UpgradeRequest request{flags.cluster, to, latest, allow_explicit, acknowledge};
  auto outcome = upgrade::RequestUpgrade(**global, request);
  if (!outcome.ok()) return Fail(CodeFor(outcome.status()), outcome.status());
  if (!outcome->blocking.empty()) {
    // The console's step 1: the RPCH list, then Acknowledge (docs/procedure-steps.md).
    std::cout << fmt::format("ResourcePatches that block the upgrade to {} (the RPCH list):\n",
                             outcome->version);
    for (const std::string& name : outcome->blocking) std::cout << "  " << name << "\n";
  }
  if (outcome->needs_acknowledge) {
    if (!AskYes(fmt::format("Acknowledge them (annotation {}={})?",
                            upgrade::kExemptForVersionAnnotation, outcome->version))) {
      return Fail(exit_code::kWaitingConfirm, outcome->message);
    }
    request.acknowledge = true;
    outcome = upgrade::RequestUpgrade(**global, request);
    if (!outcome.ok()) return Fail(CodeFor(outcome.status()), outcome.status());
  }
  if (request.acknowledge && !outcome->blocking.empty()) {
    std::cout << fmt::format("acknowledged {} ResourcePatch(es): {}={}\n", outcome->blocking.size(),
                             upgrade::kExemptForVersionAnnotation, outcome->version);
  }
  std::cout << outcome->message << "\n";
  return kExitOk;
}

// The last status document --wait saw, and whether --timeout ran out first.
struct Waited {
  nlohmann::json document;
  bool timed_out = false;
};

// --wait: while the upgrade is in progress, watch the cluster's ClusterVersionShadow from the
// resourceVersion read (client-go's list-then-watch), re-evaluating the status on each event;
// when the watch ends (the server's timeout, 410 Gone, a network error) read it again and watch
// again. A server that does not serve watch (400/404/405) or forbids it is polled every 500 ms.
absl::StatusOr<Waited> WaitWhileInProgress(k8s::RestClient& global, const std::string& cluster,
                                           nlohmann::json cvsh,
                                           std::chrono::steady_clock::time_point deadline) {
  using Clock = std::chrono::steady_clock;
  Waited out{upgrade::StatusDocument(cvsh, std::chrono::system_clock::now())};
  const auto in_progress = [](const nlohmann::json& document) {
    return upgrade::OutcomeOf(document) == upgrade::UpgradeOutcome::kInProgress;
  };
  bool watch = true;
  while (in_progress(out.document)) {
    if (Clock::now() >= deadline) {
      out.timed_out = true;
      break;
    }
    if (watch) {
      k8s::WatchOptions options;
      options.field_selector = "metadata.name=" + cluster;
      options.resource_version = k8s::StringAt(cvsh, "/metadata/resourceVersion");
      spdlog::debug("watching ClusterVersionShadow {}/{} from resourceVersion {}",
                    platform::kPlatformNamespace, cluster,
                    options.resource_version.empty() ? "(current)" : options.resource_version);
      bool deleted = false;
      auto end = global.Watch(
          platform::kClusterVersionShadows, platform::kPlatformNamespace, options,
          [&](const k8s::WatchEvent& event) {
            if (event.type == k8s::WatchEventType::kBookmark) return true;
            if (k8s::NameOf(event.object) != cluster) return true;
            if (event.type == k8s::WatchEventType::kDeleted) {
              deleted = true;  // read again: the read says what is missing
              return false;
            }
            cvsh = event.object;
            out.document = upgrade::StatusDocument(cvsh, std::chrono::system_clock::now());
            return in_progress(out.document);
          },
          deadline);
      if (end.ok() && end->stopped && !deleted) break;  // settled
      if (!end.ok()) {
        const absl::Status& failed = end.status();
        if (absl::IsDeadlineExceeded(failed)) {
          out.timed_out = true;
          break;
        }
        if (k8s::IsWatchUnsupported(failed) || absl::IsPermissionDenied(failed)) {
          spdlog::debug("{}; polling every 500 ms instead", failed.message());
          watch = false;
        } else if (k8s::IsResourceExpired(failed)) {
          spdlog::debug("{}", failed.message());
        } else {
          spdlog::debug("{}; reading it again", failed.message());
          // Not in a tight loop against a failing server.
          std::this_thread::sleep_until(std::min(deadline, Clock::now() + std::chrono::seconds(1)));
        }
      } else {
        spdlog::debug("the watch ended; reading ClusterVersionShadow {} again", cluster);
      }
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    auto read = upgrade::ReadShadow(global, cluster);
    if (!read.ok()) return read.status();
    cvsh = *std::move(read);
    out.document = upgrade::StatusDocument(cvsh, std::chrono::system_clock::now());
  }
  return out;
}

int Status(const CommonFlags& flags, const std::string& output, bool wait, int timeout_seconds) {
  auto global = GlobalClient(flags);
  if (!global.ok()) return Fail(kExitUsage, global.status());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  auto cvsh = upgrade::ReadShadow(**global, flags.cluster);
  if (!cvsh.ok()) return Fail(kExitError, cvsh.status());
  nlohmann::json document = upgrade::StatusDocument(*cvsh, std::chrono::system_clock::now());
  bool timed_out = false;
  if (wait) {
    auto waited = WaitWhileInProgress(**global, flags.cluster, *std::move(cvsh), deadline);
    if (!waited.ok()) return Fail(kExitError, waited.status());
    document = std::move(waited->document);
    timed_out = waited->timed_out;
  }
  if (output == "json") {
    std::cout << document.dump(2) << "\n";
  } else if (output == "yaml") {
    std::cout << upgrade::ToYaml(document);
  } else {
    std::cout << upgrade::RenderStatusText(document);
  }
  switch (upgrade::OutcomeOf(document)) {
    case upgrade::UpgradeOutcome::kInProgress:
      return timed_out ? exit_code::kTimedOut : exit_code::kInProgress;
    case upgrade::UpgradeOutcome::kBlocked:
      return exit_code::kBlocked;
    case upgrade::UpgradeOutcome::kCompleted:
      break;
  }
  return kExitOk;
}

struct ComponentFlags {
  std::vector<std::string> set, skip;
  std::string kubernetes, release_version, state_dir = ".";
  bool no_kubernetes = false, force = false, apply = false, wait = false;
  bool confirm_overrides = false;
  int timeout_seconds = 1800;
};

// On a terminal without --set/--skip: ask for each component's Target.
void AskTargets(std::vector<upgrade::PlannedComponent>& plan, upgrade::ComponentChoices& choices) {
  for (const upgrade::PlannedComponent& planned : plan) {
    const upgrade::Component& c = planned.component;
    if (c.available.empty()) continue;
    std::cout << fmt::format(
                     "Target for {} (current {}, available {}) [{}; '-' = Do not upgrade]: ",
                     c.module, c.current.empty() ? "-" : c.current, upgrade::JoinNames(c.available),
                     planned.target.empty() ? "-" : planned.target)
              << std::flush;
    std::string answer;
    if (!std::getline(std::cin, answer)) return;
    if (answer == "-") {
      choices.skip.insert(c.module);
    } else if (!answer.empty()) {
      choices.set[c.module] = answer;
    }
  }
}

// The version the platform is going to: --release-version, else what the platform says.
std::string PlatformTarget(k8s::RestClient& global, const std::string& cluster,
                           const std::string& flag) {
  return flag.empty() ? upgrade::PlatformTargetVersion(global, cluster) : flag;
}

int Components(const CommonFlags& flags, const ComponentFlags& options) {
  auto global = GlobalClient(flags);
  if (!global.ok()) return Fail(kExitUsage, global.status());
  upgrade::ComponentChoices choices;
  for (const std::string& entry : options.set) {
    const size_t equals = entry.find('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == entry.size()) {
      return Fail(kExitUsage, fmt::format("--set {}: write <module>=<version>", entry));
    }
    choices.set[entry.substr(0, equals)] = entry.substr(equals + 1);
  }
  choices.skip.insert(options.skip.begin(), options.skip.end());
  if (!options.kubernetes.empty()) choices.kubernetes = options.kubernetes;
  if (!options.kubernetes.empty() && options.no_kubernetes) {
    return Fail(kExitUsage, "--kubernetes and --no-kubernetes are alternatives");
  }
  choices.no_kubernetes = options.no_kubernetes;
  choices.force = options.force;

  auto components = upgrade::ReadComponents(**global, flags.cluster);
  if (!components.ok()) return Fail(kExitError, components.status());
  if (components->empty()) {
    return Fail(kExitUsage, fmt::format("cluster {} has no components (no ModuleInfo labelled "
                                        "cpaas.io/cluster-name={}) — check --cluster",
                                        flags.cluster, flags.cluster));
  }
  if (const std::string overrides = upgrade::RenderOverrides(flags.cluster, *components);
      !overrides.empty() && options.apply) {
    // §6 Era A: overrides found are shown and confirmed before the component dialog.
    std::cout << overrides;
    if (!options.confirm_overrides &&
        !AskYes("Confirm these custom configuration overrides (ask support if unsure)?")) {
      return Fail(exit_code::kWaitingConfirm,
                  fmt::format("cluster {} has custom configuration overrides (above): confirm them "
                              "with --confirm-overrides (ask support if unsure), then rerun",
                              flags.cluster));
    }
    std::cout << "custom configuration overrides confirmed\n";
  }
  auto plan = upgrade::PlanComponents(*components, choices);
  if (!plan.ok()) return Fail(CodeFor(plan.status()), plan.status());
  const bool asked = !options.set.empty() || !options.skip.empty() || !options.kubernetes.empty() ||
                     options.no_kubernetes;
  if (options.apply && !asked && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
    AskTargets(*plan, choices);
    plan = upgrade::PlanComponents(*components, choices);
    if (!plan.ok()) return Fail(CodeFor(plan.status()), plan.status());
  }
  std::cout << upgrade::RenderPlan(flags.cluster, *plan);
  if (!options.apply) {
    std::cout << "dry run: pass --apply to upgrade the components with a Target\n";
    return kExitOk;
  }

  auto cluster_config =
      platform::ConfigForCluster(cli::ToConnection(flags.connection), flags.cluster);
  if (!cluster_config.ok()) return Fail(kExitUsage, cluster_config.status());
  k8s::RestClient cluster(*cluster_config);
  auto source = platform::ReadCurrentVersion(**global, flags.cluster);
  if (!source.ok()) return Fail(kExitError, source.status());
  upgrade::TopolvmScope topolvm{flags.cluster, source->version,
                                PlatformTarget(**global, flags.cluster, options.release_version),
                                options.state_dir};
  topolvm.leaves_source = std::any_of(plan->begin(), plan->end(), [&](const auto& planned) {
    return !planned.target.empty() &&
           upgrade::MinorOf(planned.component.current) == upgrade::MinorOf(source->version);
  });
  const bool any_target = std::any_of(plan->begin(), plan->end(),
                                      [](const auto& planned) { return !planned.target.empty(); });
  if (any_target) {
    auto before = upgrade::TopolvmBeforeUpgrade(**global, cluster, topolvm);
    if (!before.ok()) return Fail(kExitError, before.status());
    for (const std::string& line : *before) std::cout << line << "\n";
    auto applied = upgrade::ApplyPlan(**global, *plan);
    if (!applied.ok()) return Fail(kExitError, applied.status());
    for (const std::string& line : *applied) std::cout << line << "\n";
  } else {
    std::cout << "nothing to upgrade\n";
  }
  if (any_target && !options.wait) {
    std::cout << fmt::format(
        "requested; not waiting. Run again with --apply --wait to follow it"
        "{}\n",
        std::filesystem::exists(upgrade::TopolvmSavePath(topolvm))
            ? " (TopoLVM's ArtifactVersion is re-created once every "
              "component has settled)"
            : "");
    return kExitOk;
  }
  if (any_target) {
    absl::Status waited = upgrade::WaitForComponents(**global, flags.cluster, *plan,
                                                     std::chrono::seconds(options.timeout_seconds));
    if (!waited.ok()) {
      return Fail(absl::IsDeadlineExceeded(waited) ? kExitWaitTimeout : kExitError, waited);
    }
    std::cout << "every component is at its Target\n";
  }
  auto settled = upgrade::ReadComponents(**global, flags.cluster);
  if (!settled.ok()) return Fail(kExitError, settled.status());
  if (upgrade::ComponentsSettled(*settled)) {
    auto after = upgrade::TopolvmAfterUpgrade(cluster, topolvm);
    if (!after.ok()) return Fail(kExitError, after.status());
    for (const std::string& line : *after) std::cout << line << "\n";
  }
  if (flags.cluster == platform::kGlobalCluster) {
    std::string target = PlatformTarget(**global, flags.cluster, options.release_version);
    if (target.empty()) target = source->version;
    auto plugins = upgrade::EnsureRequiredPlugins(**global, target);
    if (!plugins.ok()) return Fail(kExitError, plugins.status());
    for (const std::string& line : plugins->lines) std::cout << line << "\n";
    if (plugins->missing > 0) {
      return Fail(kExitRefused, fmt::format("{} required plugin(s) of global {} are not published; "
                                            "see above",
                                            plugins->missing, target));
    }
  }
  return kExitOk;
}

struct ImportFlags {
  std::string version, release = "release.yaml", registry;
  bool wait = false;
  int timeout_seconds = 600;
};

// ac adm release import-manifest: publish the release's ProductManifest (what upgrade.sh
// --skip-sync-image also does) so the CVO offers it in availableUpdates; --wait for that.
int ImportManifest(const CommonFlags& flags, const ImportFlags& options) {
  auto release = upgrade::ReadReleaseManifest(options.release);
  if (!release.ok()) return Fail(kExitUsage, release.status());
  if (release->version != options.version) {
    return Fail(kExitUsage,
                fmt::format("{} describes release {}, not {} — pass the release.yaml of the {} "
                            "core package with --release",
                            options.release, release->version, options.version, options.version));
  }
  auto global = GlobalClient(flags);
  if (!global.ok()) return Fail(kExitUsage, global.status());
  std::string registry = options.registry;
  if (registry.empty()) {
    auto base = (*global)->Get(platform::kProductBases, "", "base");
    if (!base.ok() && !absl::IsNotFound(base.status())) return Fail(kExitError, base.status());
    if (base.ok()) registry = platform::ProductBaseOf(*base).registry_address;
    if (registry.empty()) {
      return Fail(kExitUsage,
                  "no --registry and ProductBase base has no spec.registry.address — pass "
                  "--registry <host:port> (where upgrade.sh --only-sync-image pushed the images)");
    }
  }
  auto line = upgrade::PublishProductManifest(**global, *release, registry);
  if (!line.ok()) return Fail(kExitError, line.status());
  std::cout << *line << "\n";
  if (!options.wait) {
    std::cout << fmt::format(
        "published; the CVO lists {} in availableUpdates once it has read it (ac adm upgrade "
        "--cluster={}; or pass --wait)\n",
        options.version, flags.cluster);
    return kExitOk;
  }
  absl::Status waited = upgrade::WaitForAvailableUpdate(
      **global, flags.cluster, options.version, std::chrono::seconds(options.timeout_seconds));
  if (!waited.ok()) {
    return Fail(absl::IsDeadlineExceeded(waited) ? kExitWaitTimeout : kExitError, waited);
  }
  std::cout << fmt::format("{} is available to cluster {}: ac adm upgrade --cluster={} --to={}\n",
                           options.version, flags.cluster, flags.cluster, options.version);
  return kExitOk;
}

}  // namespace

void AddUpgradeCommands(CLI::App& adm, int& exit_code) {
  CLI::App* release_cmd = adm.add_subcommand("release", "Publish releases to the platform");
  release_cmd->require_subcommand(1);
  CLI::App* import_cmd = release_cmd->add_subcommand(
      "import-manifest",
      "publish the core package's ProductManifest so availableUpdates lists it (Era B)");
  static CommonFlags import_common;
  static ImportFlags import_flags;
  AddCommonFlags(*import_cmd, import_common);
  import_cmd->add_option("--version", import_flags.version, "the release version (e.g. 4.3.0)")
      ->required();
  import_cmd->add_option("--release", import_flags.release,
                         "the core package's release.yaml (default ./release.yaml)");
  import_cmd->add_option("--registry", import_flags.registry,
                         "registry holding its images (default ProductBase base's)");
  import_cmd->add_flag("--wait", import_flags.wait,
                       "wait until the cluster's availableUpdates lists the version");
  import_cmd->add_option("--timeout", import_flags.timeout_seconds,
                         "seconds --wait waits at most (default 600)");
  import_cmd->callback([&exit_code]() { exit_code = ImportManifest(import_common, import_flags); });

  CLI::App* upgrade_cmd =
      adm.add_subcommand("upgrade", "Show, request and watch cluster upgrades (ACP 4.3+ CVO)");
  static CommonFlags common;
  static std::string to;
  static bool latest = false, allow_explicit = false, acknowledge = false;
  AddCommonFlags(*upgrade_cmd, common);
  upgrade_cmd->add_option("--to", to, "request this version");
  upgrade_cmd->add_flag("--to-latest", latest, "request the newest available update");
  upgrade_cmd->add_flag("--allow-explicit-upgrade", allow_explicit,
                        "with --to: skip only the client-side availableUpdates check");
  upgrade_cmd->add_flag("--acknowledge", acknowledge,
                        "acknowledge the ResourcePatches that block the target (console step 1): "
                        "writes config.cpaas.io/exempt-for-ver=<target> on each");

  CLI::App* status_cmd = upgrade_cmd->add_subcommand(
      "status", "stages, history, conditions, what the upgrade waits on, elapsed time");
  static CommonFlags status_common;
  static std::string output = "table";
  static bool wait = false;
  static int timeout = 3600;
  AddCommonFlags(*status_cmd, status_common);
  status_cmd->add_option("-o,--output", output, "table, json or yaml")
      ->check(CLI::IsMember({"table", "json", "yaml"}));
  status_cmd->add_flag("--wait", wait, "wait while the upgrade is in progress");
  status_cmd->add_option("--timeout", timeout, "seconds --wait waits at most (default 3600)");

  CLI::App* components_cmd = upgrade_cmd->add_subcommand(
      "components", "a cluster's functional components: Targets, apply, wait (the Upgrade dialog)");
  static CommonFlags components_common;
  static ComponentFlags component_flags;
  AddCommonFlags(*components_cmd, components_common);
  components_cmd->add_option("--set", component_flags.set, "<module>=<version>: the Target");
  components_cmd->add_option("--skip", component_flags.skip, "<module>: Do not upgrade");
  components_cmd->add_option("--kubernetes", component_flags.kubernetes,
                             "upgrade Kubernetes to this version");
  components_cmd->add_flag("--no-kubernetes", component_flags.no_kubernetes,
                           "leave Kubernetes as it is");
  components_cmd->add_flag("--force", component_flags.force,
                           "allow a Target lower than the current version or not offered");
  components_cmd->add_flag("--apply", component_flags.apply, "set the Targets (spec.version)");
  components_cmd->add_flag("--confirm-overrides", component_flags.confirm_overrides,
                           "confirm the custom configuration overrides found (workload clusters)");
  components_cmd->add_flag("--wait", component_flags.wait, "with --apply: wait for the components");
  components_cmd->add_option("--timeout", component_flags.timeout_seconds,
                             "seconds --wait waits at most (default 1800)");
  components_cmd->add_option("--state-dir", component_flags.state_dir,
                             "where TopoLVM's ArtifactVersion is saved (default .)");
  components_cmd->add_option("--release-version", component_flags.release_version,
                             "the platform version being installed (default: the cvsh's "
                             "requested version, else the newest ProductManifest)");

  upgrade_cmd->callback([&exit_code, status_cmd, components_cmd]() {
    if (status_cmd->parsed()) {
      exit_code = Status(status_common, output, wait, timeout);
    } else if (components_cmd->parsed()) {
      exit_code = Components(components_common, component_flags);
    } else {
      exit_code = ShowOrRequest(common, to, latest, allow_explicit, acknowledge);
    }
  });
}
