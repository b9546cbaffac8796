// `ac adm dr check|upgrade|failover|reenable`: the global DR procedures of acp-spec.md §5
// and §8.7 as resumable commands over the dr_runbook library. Flags -> context -> the
// procedure (src/dr/procedure.h) -> the one exit-code table.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include "ac_commands.h"
#include "cli/fail.h"
#include "common/absl_fmt.h"
#include "common/exit_codes.h"
#include "dr/cluster_checks.h"
#include "dr/dr_context.h"
#include "dr/journal.h"
#include "dr/monitor_client.h"
#include "dr/plan.h"
#include "dr/procedure.h"
#include "platform/connection.h"
#include "platform/resources.h"

namespace {

struct SideFlags {
  std::string kubeconfig;
  std::string address;
  std::string token;
};

struct RegistryFlagValues {
  std::string address;
  std::string username;
  std::string password;
};

struct DrFlags {
  SideFlags primary, standby;
  bool insecure_skip_tls_verify = false;
  std::string monitor_url;
  std::string monitor_token_file;
  std::string standby_vip;
  std::vector<std::string> primary_etcd_endpoints;
  std::string output = "text";
  int poll_ms = 1000;
  int step_timeout_s = 3600;
  int stall_grace_s = 60;
  // upgrade
  std::string to, from, package;
  RegistryFlagValues primary_registry, standby_registry;
  bool no_auth = false, plain = false, insecure_registry = false;
  std::string registry_ca_file;
  // all runs
  std::string journal;
  bool plan_only = false;
  bool reset_journal = false;
  std::vector<std::string> confirm;
  // failover / reenable
  std::string domain;
  bool primary_lost = false;
  std::string plugin_object;
  std::string primary_vip;
  bool restart_coredns = false;
};

void AddConnectionFlags(CLI::App& command, DrFlags& flags) {
  for (auto [side, values] : {std::pair<std::string, SideFlags*>{"primary", &flags.primary},
                              std::pair<std::string, SideFlags*>{"standby", &flags.standby}}) {
    command.add_option("--" + side + "-kubeconfig", values->kubeconfig,
                       "kubeconfig of the " + side + " global cluster");
    command.add_option(
        "--" + side + "-address", values->address,
        "platform address of the " + side + " (reached at <address>/kubernetes/global)");
    command.add_option("--" + side + "-token", values->token,
                       "API token for --" + side + "-address (or $AC_DR_" +
                           (side == "primary" ? std::string("PRIMARY") : std::string("STANDBY")) +
                           "_TOKEN, which keeps it out of ps)");
  }
  command.add_flag("--insecure-skip-tls-verify", flags.insecure_skip_tls_verify,
                   "do not verify the platform addresses' certificates");
  command.add_option("--monitor-url", flags.monitor_url,
                     "the standby's etcd-sync-monitor (default: http://<clusterIP of Service "
                     "cpaas-system/etcd-sync-monitor> read through the standby API)");
  command.add_option("--monitor-token-file", flags.monitor_token_file,
                     "file holding the monitor's bearer token (etcd-sync --monitor-token-file; "
                     "mode 0600): sent to /check, never printed");
  command.add_option("--standby-vip", flags.standby_vip,
                     "the standby VIP, expected in ProductBase base spec.alternativeURLs");
  command
      .add_option("--primary-etcd-endpoints", flags.primary_etcd_endpoints,
                  "reenable: the new primary's etcd endpoints, written into the plugin's "
                  "source-endpoints (default https://<--primary-vip>:2379); 2379 itself is read "
                  "from the running plugin's monitor (etcd_sync_source_up)")
      ->delimiter(',');
  command.add_option("--poll-interval-ms", flags.poll_ms, "how often waits poll the clusters")
      ->check(CLI::Range(10, 600000));
  command.add_option("--step-timeout", flags.step_timeout_s, "seconds a step may wait")
      ->check(CLI::Range(1, 7 * 24 * 3600));
  command
      .add_option("--stall-grace", flags.stall_grace_s,
                  "seconds an upgrade may report Stalled=True without progress before its "
                  "step fails")
      ->check(CLI::Range(0, 24 * 3600));
}

// `default_journal` applies when --journal is not given (the flag variables are shared by
// the subcommands, only one of which runs).
void AddRunFlags(CLI::App& command, DrFlags& flags, const std::string& default_journal) {
  command.add_option("--journal", flags.journal,
                     "journal file, resumed from when it exists (default " + default_journal + ")");
  command.add_flag("--plan", flags.plan_only,
                   "print the ordered steps with their gates and journal state; change nothing");
  command.add_flag("--reset-journal", flags.reset_journal,
                   "discard a saved journal (file and ConfigMap) and start from the first step");
  command.add_option("-o,--output", flags.output, "text or json (with --plan)")
      ->check(CLI::IsMember({"text", "json"}));
  command.preparse_callback([&flags, default_journal](size_t) { flags.journal = default_journal; });
}

absl::StatusOr<dr::ClusterAccess> Access(const std::string& label, const SideFlags& side,
                                         bool insecure) {
  if (side.kubeconfig.empty() && side.address.empty()) {
    return absl::InvalidArgumentError(fmt::format(
        "no {0} cluster: give --{0}-kubeconfig <file> or --{0}-address <url> with a token", label));
  }
  if (!side.kubeconfig.empty() && !side.address.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("--{0}-kubeconfig and --{0}-address are alternatives; give one", label));
  }
  platform::Connection connection;
  connection.kubeconfig = side.kubeconfig;
  connection.platform_address = side.address;
  connection.address_flag = "--" + label + "-address";
  connection.insecure_skip_tls_verify = insecure;
  std::string token = side.token;
  if (token.empty()) {
    const char* env =
        std::getenv(label == "primary" ? "AC_DR_PRIMARY_TOKEN" : "AC_DR_STANDBY_TOKEN");
    if (env) token = env;
  }
  if (!side.address.empty() && token.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("--{0}-address needs an API token: give --{0}-token or $AC_DR_{1}_TOKEN", label,
                    label == "primary" ? "PRIMARY" : "STANDBY"));
  }
  connection.platform_token = common::Secret(token);
  auto config = platform::ConfigForCluster(connection, platform::kGlobalCluster);
  if (!config.ok()) return config.status();
  return dr::ClusterAccess{label, *config, side.kubeconfig, connection};
}

dr::RegistryTarget Registry(const RegistryFlagValues& values, const DrFlags& flags,
                            const char* password_env) {
  dr::RegistryTarget target;
  target.address = values.address;
  target.username = values.username;
  std::string password = values.password;
  if (password.empty() && std::getenv(password_env)) password = std::getenv(password_env);
  target.password = common::Secret(password);
  target.no_auth = flags.no_auth;
  target.plain = flags.plain;
  target.insecure = flags.insecure_registry;
  target.ca_file = flags.registry_ca_file;
  return target;
}

absl::StatusOr<std::unique_ptr<dr::DrContext>> MakeContext(const DrFlags& flags,
                                                           std::string resume_command = "") {
  auto primary = Access("primary", flags.primary, flags.insecure_skip_tls_verify);
  if (!primary.ok()) return primary.status();
  auto standby = Access("standby", flags.standby, flags.insecure_skip_tls_verify);
  if (!standby.ok()) return standby.status();
  dr::DrOptions options;
  options.target_version = flags.to;
  options.source_version = flags.from;
  options.package_dir = flags.package;
  options.monitor_url = flags.monitor_url;
  if (!flags.monitor_token_file.empty()) {
    auto token = dr::ReadMonitorTokenFile(flags.monitor_token_file);
    if (!token.ok()) return token.status();
    options.monitor_token = *std::move(token);
  }
  options.standby_vip = flags.standby_vip;
  options.primary_etcd_endpoints = flags.primary_etcd_endpoints;
  options.primary_registry =
      Registry(flags.primary_registry, flags, "AC_DR_PRIMARY_REGISTRY_PASSWORD");
  options.standby_registry =
      Registry(flags.standby_registry, flags, "AC_DR_STANDBY_REGISTRY_PASSWORD");
  options.domain = flags.domain;
  options.primary_lost = flags.primary_lost;
  options.plugin_object = flags.plugin_object;
  options.primary_vip = flags.primary_vip;
  options.restart_coredns = flags.restart_coredns;
  options.resume_command = std::move(resume_command);
  options.poll = std::chrono::milliseconds(flags.poll_ms);
  options.step_timeout = std::chrono::seconds(flags.step_timeout_s);
  options.stall_grace = std::chrono::seconds(flags.stall_grace_s);
  return std::make_unique<dr::DrContext>(std::move(options), std::move(*primary),
                                         std::move(*standby), std::cout);
}

using cli::Fail;

std::string Absolute(const std::string& path) {
  std::error_code error;
  auto absolute = std::filesystem::absolute(path, error);
  return error ? path : absolute.lexically_normal().string();
}

// The command that resumes `operation` as this run was given it: the connection, monitor,
// registry and procedure flags with absolute paths; a token or password given as a flag is
// named by the environment variable that carries it instead (a trailing shell comment says
// which), never printed. --confirm and --restart-coredns are one-shot answers, left out.
std::string ResumeCommand(const std::string& operation, const DrFlags& flags) {
  std::vector<std::string> args = {"ac", "adm", "dr", operation};
  std::vector<std::string> env;
  auto add = [&args](const std::string& flag, const std::string& value) {
    if (value.empty()) return;
    args.push_back(flag);
    args.push_back(value);
  };
  auto add_flag = [&args](const std::string& flag, bool on) {
    if (on) args.push_back(flag);
  };
  for (auto [side, values] :
       {std::pair<std::string, const SideFlags*>{"primary", &flags.primary},
        std::pair<std::string, const SideFlags*>{"standby", &flags.standby}}) {
    if (!values->kubeconfig.empty()) add("--" + side + "-kubeconfig", Absolute(values->kubeconfig));
    add("--" + side + "-address", values->address);
    if (!values->address.empty()) {
      env.push_back(side == "primary" ? "$AC_DR_PRIMARY_TOKEN" : "$AC_DR_STANDBY_TOKEN");
    }
  }
  add_flag("--insecure-skip-tls-verify", flags.insecure_skip_tls_verify);
  add("--monitor-url", flags.monitor_url);
  if (!flags.monitor_token_file.empty()) {
    add("--monitor-token-file", Absolute(flags.monitor_token_file));
  }
  add("--standby-vip", flags.standby_vip);
  std::string endpoints;
  for (const std::string& endpoint : flags.primary_etcd_endpoints) {
    endpoints += (endpoints.empty() ? "" : ",") + endpoint;
  }
  add("--primary-etcd-endpoints", endpoints);
  const DrFlags defaults;
  if (flags.poll_ms != defaults.poll_ms) add("--poll-interval-ms", std::to_string(flags.poll_ms));
  if (flags.step_timeout_s != defaults.step_timeout_s) {
    add("--step-timeout", std::to_string(flags.step_timeout_s));
  }
  if (flags.stall_grace_s != defaults.stall_grace_s) {
    add("--stall-grace", std::to_string(flags.stall_grace_s));
  }
  if (operation == dr::kUpgrade) {
    add("--to", flags.to);
    add("--from", flags.from);
    if (!flags.package.empty()) add("--package", Absolute(flags.package));
    for (auto [side, values] :
         {std::pair<std::string, const RegistryFlagValues*>{"primary", &flags.primary_registry},
          std::pair<std::string, const RegistryFlagValues*>{"standby", &flags.standby_registry}}) {
      add("--" + side + "-registry", values->address);
      add("--" + side + "-registry-username", values->username);
      if (!values->username.empty()) {
        env.push_back(side == "primary" ? "$AC_DR_PRIMARY_REGISTRY_PASSWORD"
                                        : "$AC_DR_STANDBY_REGISTRY_PASSWORD");
      }
    }
    add_flag("--no-auth", flags.no_auth);
    add_flag("--plain", flags.plain);
    add_flag("--insecure", flags.insecure_registry);
    if (!flags.registry_ca_file.empty())
      add("--registry-ca-file", Absolute(flags.registry_ca_file));
  }
  if (operation == dr::kFailover) {
    add("--domain", flags.domain);
    add_flag("--primary-lost", flags.primary_lost);
  }
  if (operation == dr::kReenable) {
    if (!flags.plugin_object.empty()) add("--plugin-object", Absolute(flags.plugin_object));
    add("--primary-vip", flags.primary_vip);
  }
  add("--journal", Absolute(flags.journal));
  std::string line = dr::ShellCommandLine(args);
  if (!env.empty()) {
    std::string names;
    for (const std::string& name : env) names += (names.empty() ? "" : ", ") + name;
    line += "  # secrets from the environment: " + names;
  }
  return line;
}

// Exit codes of every `ac adm dr` command: the one table (README).
int ExitFor(const dr::RunOutcome& outcome) {
  switch (outcome.kind) {
    case dr::RunOutcome::Kind::kDone:
      return exit_code::kOk;
    case dr::RunOutcome::Kind::kBlocked:
      return exit_code::kBlocked;
    case dr::RunOutcome::Kind::kNeedsConfirmation:
      return exit_code::kWaitingConfirm;
    case dr::RunOutcome::Kind::kTimedOut:
      return exit_code::kTimedOut;
    case dr::RunOutcome::Kind::kFailed:
      return exit_code::kFailed;
  }
  return exit_code::kFailed;
}

// A procedure that could not start: what the operator gave (flags, --confirm, a journal this
// run cannot resume) is a usage error; a cluster or journal that could not be read a failure.
int ExitForUnstarted(const absl::Status& status) {
  return absl::IsInvalidArgument(status) || absl::IsFailedPrecondition(status) ? exit_code::kUsage
                                                                               : exit_code::kFailed;
}

int RunProcedure(const std::string& operation, const DrFlags& flags) {
  DrFlags with_journal = flags;
  if (with_journal.journal.empty()) with_journal.journal = dr::DefaultJournalFile(operation);
  auto context = MakeContext(flags, ResumeCommand(operation, with_journal));
  if (!context.ok()) return Fail(exit_code::kUsage, context.status());
  dr::ProcedureOptions options;
  options.operation = operation;
  options.journal_file = flags.journal;
  options.reset_journal = flags.reset_journal;
  options.confirm = flags.confirm;
  if (flags.plan_only) {
    auto shown = dr::ShowProcedure(**context, options, flags.output == "json");
    if (!shown.ok()) return Fail(ExitForUnstarted(shown.status()), shown.status());
    std::cout << *shown;
    return exit_code::kOk;
  }
  auto outcome = dr::RunProcedure(**context, options);
  if (!outcome.ok()) return Fail(ExitForUnstarted(outcome.status()), outcome.status());
  return ExitFor(*outcome);
}

// ---- check ----------------------------------------------------------------------------

int RunCheck(const DrFlags& flags) {
  auto context = MakeContext(flags);
  if (!context.ok()) return Fail(exit_code::kUsage, context.status());
  dr::CheckReport report = dr::RunDrCheck(**context);
  if (flags.output == "json") {
    std::cout << report.RenderJson().dump(2) << "\n";
  } else {
    std::cout << report.RenderText();
  }
  return report.Blocked() ? exit_code::kBlocked : exit_code::kOk;
}

// ---- upgrade --------------------------------------------------------------------------

absl::Status ValidateUpgradeRun(const DrFlags& flags) {
  if (flags.package.empty()) {
    return absl::InvalidArgumentError("--package <dir> (the extracted core package) is required");
  }
  if (access((flags.package + "/upgrade.sh").c_str(), R_OK) != 0) {
    return absl::InvalidArgumentError(
        fmt::format("--package {}: no upgrade.sh there; point it at the extracted core package",
                    flags.package));
  }
  for (auto [flag, value] : {std::pair{"--primary-registry", &flags.primary_registry},
                             std::pair{"--standby-registry", &flags.standby_registry}}) {
    if (value->address.empty()) {
      return absl::InvalidArgumentError(fmt::format(
          "{} <host:port> is required: each global cluster's images go to its own registry", flag));
    }
    if (!flags.no_auth && value->username.empty()) {
      return absl::InvalidArgumentError(fmt::format(
          "{} needs {}-username (and the password in {}-password or $AC_DR_{}_REGISTRY_PASSWORD), "
          "or --no-auth",
          flag, flag, flag, std::string(flag) == "--primary-registry" ? "PRIMARY" : "STANDBY"));
    }
  }
  return absl::OkStatus();
}

int RunUpgrade(const DrFlags& flags) {
  if (flags.to.empty()) {
    return Fail(exit_code::kUsage, absl::InvalidArgumentError("--to <version> is required"));
  }
  if (!flags.plan_only) {
    if (auto valid = ValidateUpgradeRun(flags); !valid.ok()) return Fail(exit_code::kUsage, valid);
  }
  return RunProcedure(dr::kUpgrade, flags);
}

}  // namespace

void AddDrCommands(CLI::App& adm, int& exit_code) {
  auto flags = std::make_shared<DrFlags>();
  CLI::App* dr_app =
      adm.add_subcommand("dr", "Global DR: check, upgrade, failover, re-enable sync");
  dr_app->require_subcommand(1);

  CLI::App* check = dr_app->add_subcommand(
      "check", "The DR gate: consistency (/check), Machines, alternativeURLs, 2379, sync leader");
  AddConnectionFlags(*check, *flags);
  check->add_option("-o,--output", flags->output, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  check->callback([flags, &exit_code] { exit_code = RunCheck(*flags); });

  CLI::App* upgrade = dr_app->add_subcommand(
      "upgrade", "Upgrade both global clusters of a DR pair (acp-spec.md §5), resumable");
  AddConnectionFlags(*upgrade, *flags);
  AddRunFlags(*upgrade, *flags, dr::DefaultJournalFile(dr::kUpgrade));
  upgrade->add_option("--to", flags->to, "target version")->required();
  upgrade->add_option("--from", flags->from,
                      "source version (default: the primary's cvsh global status.current.version)");
  upgrade->add_option("--package", flags->package,
                      "the extracted core package (upgrade.sh, images/)");
  for (auto [side, values] :
       {std::pair<std::string, RegistryFlagValues*>{"primary", &flags->primary_registry},
        std::pair<std::string, RegistryFlagValues*>{"standby", &flags->standby_registry}}) {
    upgrade->add_option(
        "--" + side + "-registry", values->address,
        "the " + side + "'s registry, host:port (the standby: its own, e.g. <standby-VIP>:11443)");
    upgrade->add_option("--" + side + "-registry-username", values->username, "registry user");
    upgrade->add_option("--" + side + "-registry-password", values->password,
                        "registry password (prefer $AC_DR_" +
                            std::string(side == "primary" ? "PRIMARY" : "STANDBY") +
                            "_REGISTRY_PASSWORD; it reaches upgrade.sh on stdin)");
  }
  upgrade->add_flag("--no-auth", flags->no_auth, "the registries take no credentials");
  upgrade->add_flag("--plain", flags->plain, "the registries speak plain HTTP");
  upgrade->add_flag("--insecure", flags->insecure_registry, "HTTPS without certificate checks");
  upgrade->add_option("--registry-ca-file", flags->registry_ca_file,
                      "CA bundle for the registries");
  upgrade->callback([flags, &exit_code] { exit_code = RunUpgrade(*flags); });

  CLI::App* failover = dr_app->add_subcommand(
      "failover", "Make the standby the primary (acp-spec.md §8.7), resumable");
  AddConnectionFlags(*failover, *flags);
  AddRunFlags(*failover, *flags, dr::DefaultJournalFile(dr::kFailover));
  failover->add_option("--confirm", flags->confirm,
                       "a manual step done by the operator (repeatable)");
  failover->add_option("--domain", flags->domain,
                       "the platform access domain, checked to resolve to --standby-vip");
  failover->add_flag("--primary-lost", flags->primary_lost,
                     "the primary is gone: nothing is read from or done on it");
  failover->add_flag("--restart-coredns", flags->restart_coredns,
                     "with --confirm check-dns: the sentry nslookup was wrong; restart the coredns "
                     "pods on the new primary, then check again");
  failover->callback([flags, &exit_code] { exit_code = RunProcedure(dr::kFailover, *flags); });

  CLI::App* reenable = dr_app->add_subcommand(
      "reenable",
      "After a failover: install the sync on the old primary, the new standby (§8.7 step 10). "
      "--primary-* is the new primary, --standby-* the old primary");
  AddConnectionFlags(*reenable, *flags);
  AddRunFlags(*reenable, *flags, dr::DefaultJournalFile(dr::kReenable));
  reenable->add_option("--confirm", flags->confirm,
                       "a manual step done by the operator (repeatable)");
  reenable->add_option(
      "--plugin-object", flags->plugin_object,
      "JSON ModuleInfo of the etcd Synchronizer (default: the one the failover saved)");
  reenable->add_option("--primary-vip", flags->primary_vip,
                       "the new primary's VIP: the plugin's active-global-vip for the reversed "
                       "direction (and the 4.3.1+ bootstrap)");
  reenable->callback([flags, &exit_code] { exit_code = RunProcedure(dr::kReenable, *flags); });
}
