#include "dr/upgrade_steps.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "common/absl_fmt.h"
#include "common/base64.h"
#include "common/exit_codes.h"
#include "common/status_macros.h"
#include "dr/child_command.h"
#include "dr/gates.h"
#include "dr/poll.h"
#include "k8s/json_fields.h"
#include "platform/readers.h"
#include "platform/resources.h"

namespace dr {

using nlohmann::json;

namespace {

// A kubeconfig for the child scripts: the operator's file, or a private one (mode 0600,
// removed afterwards) when the cluster is reached through the platform address.
class ChildKubeconfig {
 public:
  explicit ChildKubeconfig(const ClusterAccess& access) {
    if (!access.kubeconfig.empty()) {
      path_ = access.kubeconfig;
      return;
    }
    char name[] = "/tmp/ac-dr-kubeconfig-XXXXXX";
    const int fd = mkstemp(name);
    if (fd < 0) return;
    close(fd);
    path_ = name;
    owned_ = true;
    json cluster = {{"server", access.config.server}};
    if (!access.config.ca_file.empty()) cluster["certificate-authority"] = access.config.ca_file;
    if (access.config.insecure_skip_tls_verify) cluster["insecure-skip-tls-verify"] = true;
    json user = json::object();
    if (!access.config.token.empty()) user["token"] = access.config.token.Reveal();
    json config = {{"apiVersion", "v1"},
                   {"kind", "Config"},
                   {"clusters", {{{"name", access.label}, {"cluster", cluster}}}},
                   {"users", {{{"name", access.label}, {"user", user}}}},
                   {"contexts",
                    {{{"name", access.label},
                      {"context", {{"cluster", access.label}, {"user", access.label}}}}}},
                   {"current-context", access.label}};
    std::ofstream(path_) << config.dump(2);  // JSON is YAML
  }
  ~ChildKubeconfig() {
    if (owned_) unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool owned_ = false;
};

// What upgrade.sh's exit code says, in the words of the one table every tool shares;
// "failed" for a code outside it (a crash, a signal).
std::string ExitMeaning(int code) {
  std::string_view meaning = exit_code::ExitMeaning(code);
  return meaning.empty() || code == exit_code::kOk || code == exit_code::kFailed
             ? "failed"
             : std::string(meaning);
}

}  // namespace

std::vector<std::string> RegistryFlags(const RegistryTarget& registry) {
  std::vector<std::string> flags = {"--registry", registry.address};
  if (!registry.no_auth && !registry.username.empty()) {
    flags.insert(flags.end(), {"--username", registry.username, "--password-stdin"});
  }
  if (registry.plain) flags.push_back("--plain");
  if (registry.insecure) flags.push_back("--insecure");
  if (!registry.ca_file.empty()) flags.insert(flags.end(), {"--ca-file", registry.ca_file});
  return flags;
}

namespace {

// Runs `bash <package>/upgrade.sh <phase_flag> <flags>` against one side's cluster (a
// kubeconfig of that side in $KUBECONFIG, not the operator's) with `password` on stdin; the
// command line goes to the step's output. A non-zero exit is Unavailable,
// "upgrade.sh <phase_flag> <what> exited N (meaning): <tail>; <advice>".
absl::Status RunUpgradeShWith(DrContext& context, StepRun& run, bool standby,
                              const std::string& phase_flag, const std::vector<std::string>& flags,
                              const common::Secret& password, const std::string& what,
                              const std::string& advice) {
  const ClusterAccess& access = context.access(standby);
  ChildKubeconfig kubeconfig(access);
  if (kubeconfig.path().empty()) {
    return absl::InternalError("cannot write a kubeconfig for upgrade.sh under /tmp");
  }
  std::vector<std::string> argv = {"bash", context.options().package_dir + "/upgrade.sh",
                                   phase_flag};
  argv.insert(argv.end(), flags.begin(), flags.end());
  run.out << fmt::format("      KUBECONFIG={} {}\n",
                         access.kubeconfig.empty() ? "(" + access.label + ")" : access.kubeconfig,
                         ShellQuote(argv));
  auto result = RunChild(argv, {{"KUBECONFIG", kubeconfig.path()}}, password, run.out);
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    return absl::UnavailableError(
        fmt::format("upgrade.sh {} {} exited {} ({}): {}; {}", phase_flag, what, result->exit_code,
                    ExitMeaning(result->exit_code), result->tail, advice));
  }
  return absl::OkStatus();
}

// The same with one side's registry flags and that side's password.
absl::Status RunUpgradeSh(DrContext& context, StepRun& run, bool standby,
                          const std::string& phase_flag, const std::string& what,
                          const std::string& advice) {
  const RegistryTarget& registry =
      standby ? context.options().standby_registry : context.options().primary_registry;
  const common::Secret none;
  return RunUpgradeShWith(context, run, standby, phase_flag, RegistryFlags(registry),
                          registry.no_auth ? none : registry.password, what, advice);
}

// A private file (mode 0600) removed when this goes away: the auth file or CA bundle that
// hands both sides' settings to one upgrade.sh run.
class PrivateFile {
 public:
  explicit PrivateFile(const std::string& text) {
    char name[] = "/tmp/ac-dr-images-XXXXXX";
    const int fd = mkstemp(name);
    if (fd < 0) return;
    size_t written = 0;
    while (written < text.size()) {
      const ssize_t n = write(fd, text.data() + written, text.size() - written);
      if (n <= 0) break;
      written += static_cast<size_t>(n);
    }
    close(fd);
    path_ = name;
    if (written != text.size()) {
      unlink(name);
      path_.clear();
    }
  }
  ~PrivateFile() {
    if (!path_.empty()) unlink(path_.c_str());
  }
  PrivateFile(const PrivateFile&) = delete;
  PrivateFile& operator=(const PrivateFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

const char* SideKey(bool standby) { return standby ? "standby" : "primary"; }

bool SideDone(const json& notes, bool standby) {
  if (!notes.contains("done") || !notes["done"].is_array()) return false;
  for (const json& side : notes["done"]) {
    if (side.is_string() && side.get<std::string>() == SideKey(standby)) return true;
  }
  return false;
}

absl::Status MarkSideDone(StepRun& run, bool standby) {
  json& notes = run.notes();
  if (!notes.contains("done") || !notes["done"].is_array()) notes["done"] = json::array();
  if (!SideDone(notes, standby)) notes["done"].push_back(SideKey(standby));
  return run.save();
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

absl::Status SyncImages(DrContext& context, StepRun& run, bool standby) {
  const RegistryTarget& registry =
      standby ? context.options().standby_registry : context.options().primary_registry;
  return RunUpgradeSh(
      context, run, standby, "--only-sync-image",
      fmt::format("into the {} registry {}", standby ? "standby" : "primary", registry.address),
      "fix it and rerun (images already pushed are not pushed again)");
}

absl::Status SyncImagesBoth(DrContext& context, StepRun& run) {
  const RegistryTarget& standby = context.options().standby_registry;
  const RegistryTarget& primary = context.options().primary_registry;
  const bool standby_left = !SideDone(run.notes(), true);
  const bool primary_left = !SideDone(run.notes(), false);
  if (!standby_left && !primary_left) return absl::OkStatus();
  const bool together = standby_left && primary_left && standby.plain == primary.plain &&
                        standby.insecure == primary.insecure && standby.address != primary.address;
  if (!together) {
    for (bool side : {true, false}) {
      if (side ? !standby_left : !primary_left) continue;
      RETURN_IF_ERROR(SyncImages(context, run, side));
      RETURN_IF_ERROR(MarkSideDone(run, side));
    }
    return absl::OkStatus();
  }
  std::vector<std::string> flags = {"--registry", standby.address, "--registry", primary.address};
  if (standby.plain) flags.push_back("--plain");
  if (standby.insecure) flags.push_back("--insecure");
  // TLS: one CA bundle for both (the two files concatenated when they differ).
  std::unique_ptr<PrivateFile> ca_bundle;
  if (!standby.ca_file.empty() && !primary.ca_file.empty() && standby.ca_file != primary.ca_file) {
    ca_bundle = std::make_unique<PrivateFile>(ReadWholeFile(standby.ca_file) + "\n" +
                                              ReadWholeFile(primary.ca_file));
    if (ca_bundle->path().empty()) {
      return absl::InternalError("cannot write a CA bundle for upgrade.sh under /tmp");
    }
    flags.insert(flags.end(), {"--ca-file", ca_bundle->path()});
  } else if (!standby.ca_file.empty() || !primary.ca_file.empty()) {
    flags.insert(flags.end(),
                 {"--ca-file", standby.ca_file.empty() ? primary.ca_file : standby.ca_file});
  }
  // Credentials: the same user on both goes by flag; different ones through a private auth
  // file with each registry's login (never in argv).
  const bool standby_auth = !standby.no_auth && !standby.username.empty();
  const bool primary_auth = !primary.no_auth && !primary.username.empty();
  common::Secret password;
  std::unique_ptr<PrivateFile> authfile;
  if (standby_auth && primary_auth && standby.username == primary.username &&
      standby.password.Reveal() == primary.password.Reveal()) {
    flags.insert(flags.end(), {"--username", standby.username, "--password-stdin"});
    password = standby.password;
  } else if (standby_auth || primary_auth) {
    json auths = json::object();
    for (const RegistryTarget* side : {&standby, &primary}) {
      if (side->no_auth || side->username.empty()) continue;
      auths[side->address] = {
          {"auth", common::EncodeBase64(side->username + ":" + side->password.Reveal())}};
    }
    authfile = std::make_unique<PrivateFile>(json{{"auths", auths}}.dump());
    if (authfile->path().empty()) {
      return absl::InternalError("cannot write an auth file for upgrade.sh under /tmp");
    }
    flags.insert(flags.end(), {"--authfile", authfile->path()});
  }
  RETURN_IF_ERROR(
      RunUpgradeShWith(context, run, true, "--only-sync-image", flags, password,
                       fmt::format("into the standby registry {} and the primary registry {}",
                                   standby.address, primary.address),
                       "fix it and rerun (images already pushed to either are not pushed again)"));
  RETURN_IF_ERROR(MarkSideDone(run, true));
  return MarkSideDone(run, false);
}

void MergeImageSteps(Journal& journal) {
  auto standby = std::find_if(journal.steps.begin(), journal.steps.end(),
                              [](const StepRecord& s) { return s.name == "sync-images-standby"; });
  if (standby == journal.steps.end() || standby + 1 == journal.steps.end() ||
      (standby + 1)->name != "sync-images-primary") {
    return;
  }
  const StepRecord old_standby = *standby, old_primary = *(standby + 1);
  StepRecord merged(kSyncImagesStep);
  json done = json::array();
  if (old_standby.state == StepState::kDone) done.push_back("standby");
  if (old_primary.state == StepState::kDone) done.push_back("primary");
  const StepRecord& latest = old_standby.state == StepState::kDone ? old_primary : old_standby;
  merged.state = done.size() == 2 ? StepState::kDone : latest.state;
  merged.started_at = old_standby.started_at;
  merged.finished_at = latest.finished_at;
  merged.seconds = old_standby.seconds + old_primary.seconds;
  merged.attempts = latest.attempts;
  merged.message = latest.message;
  *standby = merged;
  journal.steps.erase(standby + 1);
  if (!done.empty()) journal.notes[kSyncImagesStep]["done"] = done;
}

UpgradeProgress ReadUpgradeProgress(const json& cvsh, const std::string& version) {
  UpgradeProgress progress;
  const json::json_pointer history("/status/history");
  if (cvsh.contains(history) && cvsh.at(history).is_array() && !cvsh.at(history).empty()) {
    const json& latest = cvsh.at(history)[0];
    progress.completed = k8s::StringField(latest, "version") == version &&
                         k8s::StringField(latest, "state") == "Completed";
  }
  if (const json* stalled = k8s::FindCondition(cvsh, "Stalled");
      stalled && k8s::StringField(*stalled, "status") == "True") {
    progress.stalled = true;
    progress.stalled_message = fmt::format("{}: {}", k8s::StringField(*stalled, "reason"),
                                           k8s::StringField(*stalled, "message"));
  }
  const json::json_pointer stages("/status/stages");
  if (cvsh.contains(stages) && cvsh.at(stages).is_array()) {
    for (const json& stage : cvsh.at(stages)) {
      progress.stages +=
          fmt::format("{}{} {}", progress.stages.empty() ? "" : ", ",
                      k8s::StringField(stage, "name", "?"), k8s::StringField(stage, "phase", "?"));
    }
  }
  return progress;
}

absl::Status UpgradeCluster(DrContext& context, StepRun& run, bool standby) {
  k8s::RestClient& client = context.client(standby);
  const ClusterAccess& access = context.access(standby);
  const std::string& to = context.options().target_version;
  auto cvsh = client.Get(platform::kClusterVersionShadows, platform::kPlatformNamespace,
                         platform::kGlobalCluster);
  if (!cvsh.ok()) {
    return absl::FailedPreconditionError(fmt::format(
        "cannot read cvsh global in cpaas-system on the {}: {}; is this an ACP 4.3+ global "
        "cluster with the ClusterVersionShadow CRD?",
        access.label, common::View(cvsh.status().message())));
  }
  if (platform::ClusterVersionShadowOf(*cvsh).current_version == to ||
      ReadUpgradeProgress(*cvsh, to).completed) {
    run.record().message = fmt::format("the {} already runs {}", access.label, to);
    return absl::OkStatus();
  }
  json& notes = run.notes();
  const bool prepared =
      notes.contains("prepared") && notes["prepared"].is_boolean() && notes["prepared"].get<bool>();
  if (!prepared) {
    RETURN_IF_ERROR(RunUpgradeSh(context, run, standby, "--skip-sync-image",
                                 "on the " + access.label, "fix it and rerun"));
    notes["prepared"] = true;
    RETURN_IF_ERROR(run.save());
  }
  auto fresh = client.Get(platform::kClusterVersionShadows, platform::kPlatformNamespace,
                          platform::kGlobalCluster);
  if (!fresh.ok()) return fresh.status();
  if (platform::ClusterVersionShadowOf(*fresh).requested_version != to) {
    auto patched = client.MergePatch(platform::kClusterVersionShadows, platform::kPlatformNamespace,
                                     platform::kGlobalCluster,
                                     {{"spec", {{"desiredUpdate", {{"version", to}}}}}});
    if (!patched.ok()) return patched.status();
    run.out << fmt::format("      requested {} on the {} (cvsh global spec.desiredUpdate)\n", to,
                           access.label);
  }
  // Stalled=True fails the step once the stages stopped moving for --stall-grace: a CVO that
  // recovers (or a rerun after the fix, while the condition is still set) is not a failure.
  std::string last_stages;
  auto last_change = std::chrono::steady_clock::now();
  absl::Status stalled = absl::OkStatus();
  RETURN_IF_ERROR(PollUntil(
      context, fmt::format("the {} upgrade to {} (cvsh global history)", access.label, to),
      [&]() -> absl::StatusOr<bool> {
        auto now = client.Get(platform::kClusterVersionShadows, platform::kPlatformNamespace,
                              platform::kGlobalCluster);
        if (!now.ok()) return false;  // the API server may restart during its own upgrade
        UpgradeProgress progress = ReadUpgradeProgress(*now, to);
        if (progress.stages != last_stages && !progress.stages.empty()) {
          run.out << fmt::format("      stages: {}\n", progress.stages) << std::flush;
          last_stages = progress.stages;
          last_change = std::chrono::steady_clock::now();
        }
        if (progress.completed) return true;
        if (progress.stalled &&
            std::chrono::steady_clock::now() - last_change >= context.options().stall_grace) {
          stalled = absl::AbortedError(fmt::format(
              "the {} upgrade to {} is stalled ({}); fix the failing stage (kubectl -n "
              "cpaas-system get cvsh global -o yaml), then rerun: the run resumes here without "
              "requesting the upgrade again",
              access.label, to, progress.stalled_message));
          return true;
        }
        return false;
      }));
  return stalled;
}

absl::Status VerifyCluster(DrContext& context, StepRun& run, bool standby) {
  k8s::RestClient& client = context.client(standby);
  const std::string label = context.access(standby).label;
  const std::string& to = context.options().target_version;
  auto cvsh = client.Get(platform::kClusterVersionShadows, platform::kPlatformNamespace,
                         platform::kGlobalCluster);
  if (!cvsh.ok()) return cvsh.status();
  std::vector<std::string> problems;
  const std::string current = platform::ClusterVersionShadowOf(*cvsh).current_version;
  if (current != to)
    problems.push_back(fmt::format("status.current.version is {}, not {}", current, to));
  if (const std::string ready = k8s::ConditionStatus(*cvsh, "Ready"); ready != "True") {
    problems.push_back(fmt::format("condition Ready is {}", ready.empty() ? "missing" : ready));
  }
  UpgradeProgress progress = ReadUpgradeProgress(*cvsh, to);
  if (progress.stalled) problems.push_back("Stalled=True: " + progress.stalled_message);
  GateResult machines = EvaluateMachines(label, client.List(platform::kMachines, ""));
  if (!machines.passed) problems.push_back(machines.detail);
  if (!problems.empty()) {
    std::string joined;
    for (const std::string& problem : problems) joined += (joined.empty() ? "" : "; ") + problem;
    return absl::FailedPreconditionError(fmt::format(
        "the {} is not verified at {}: {}; fix it (kubectl -n cpaas-system get cvsh global), then "
        "rerun",
        label, to, joined));
  }
  run.record().message = fmt::format("{} at {}, Ready, {}", label, to, machines.detail);
  return absl::OkStatus();
}

}  // namespace dr
