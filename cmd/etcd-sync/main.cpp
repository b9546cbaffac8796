// etcd-sync: replicates the primary global cluster's etcd into the standby's.
// Flags (or a YAML --config) -> SyncConfig + two etcd clients -> etcdsync::Syncer.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <thread>

#include "bootstrap_command.h"
#include "cli/app.h"
#include "cli/build_info.h"
#include "cli/fail.h"
#include "cli/yaml_config.h"
#include "common/absl_fmt.h"
#include "common/exit_codes.h"
#include "common/secret.h"
#include "etcd/client.h"
#include "k8s/rest_config.h"
#include "monitor/monitor_server.h"
#include "sync/leader_lease_publisher.h"
#include "sync/owners_first_policy.h"
#include "sync/sync_rules.h"
#include "sync/syncer.h"

namespace {

struct Side {
  std::string endpoints;
  etcd::TlsFiles tls;
  std::string user;
  std::string password_file;
};

void AddSideFlags(CLI::App& app, const std::string& side, const std::string& what, Side& flags) {
  app.add_option("--" + side + "-endpoints", flags.endpoints,
                 what + " etcd endpoints, comma-separated host:port or URLs");
  app.add_option("--" + side + "-cacert", flags.tls.ca_file,
                 "CA bundle that signed the " + what + " etcd server certificate");
  app.add_option("--" + side + "-cert", flags.tls.cert_file,
                 "client certificate for the " + what + " etcd");
  app.add_option("--" + side + "-key", flags.tls.key_file,
                 "client private key for the " + what + " etcd");
  app.add_option("--" + side + "-user", flags.user, "etcd user name for the " + what + " etcd");
  app.add_option("--" + side + "-password-file", flags.password_file,
                 "file holding the " + what + " etcd user's password (or set $ETCD_SYNC_" +
                     std::string(side == "source" ? "SOURCE" : "DEST") + "_PASSWORD)");
}

// Numbers that count or time something must be positive; CLI11's own range check would
// print the numeric limits of the type.
const CLI::Validator kPositive(
    [](std::string& text) -> std::string {
      long long value = 0;
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (error != std::errc() || end != text.data() + text.size() || value <= 0) {
        return "must be a positive whole number, got \"" + text + "\"";
      }
      return "";
    },
    "POSITIVE");

std::string DefaultIdentity() {
  if (const char* pod = std::getenv("POD_NAME"); pod && *pod) return pod;
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  return std::string(host) + "-" + std::to_string(getpid());
}

// Builds client options; errors are one line naming the flag to fix.
absl::StatusOr<etcd::ClientOptions> MakeClientOptions(const Side& side, const std::string& name,
                                                      const std::string& flag_side,
                                                      std::chrono::milliseconds timeout) {
  etcd::ClientOptions options;
  options.cluster_name = name;
  options.flag_prefix = "--" + flag_side + "-";
  if (side.endpoints.empty()) {
    return absl::InvalidArgumentError(options.flag_prefix + "endpoints is required");
  }
  auto endpoints = etcd::ParseEndpoints(side.endpoints);
  if (!endpoints.ok()) {
    return absl::InvalidArgumentError(options.flag_prefix +
                                      "endpoints: " + std::string(endpoints.status().message()));
  }
  options.endpoints = *std::move(endpoints);
  if (side.tls.cert_file.empty() != side.tls.key_file.empty()) {
    return absl::InvalidArgumentError(
        options.flag_prefix + "cert and " + options.flag_prefix +
        "key must be given together (the client certificate and its private key)");
  }
  options.tls = side.tls;
  options.username = side.user;
  options.request_timeout = timeout;
  const std::string env =
      flag_side == "source" ? "ETCD_SYNC_SOURCE_PASSWORD" : "ETCD_SYNC_DEST_PASSWORD";
  options.password_source = options.flag_prefix + "password-file or $" + env;
  if (!side.password_file.empty()) {
    std::ifstream in(side.password_file);
    std::string password;
    if (!in || !std::getline(in, password)) {
      return absl::InvalidArgumentError(options.flag_prefix + "password-file " +
                                        side.password_file + ": cannot read the file");
    }
    options.password = common::Secret(password);
  } else if (const char* value = std::getenv(env.c_str()); value) {
    options.password = common::Secret(value);
  }
  if (!options.password.empty() && options.username.empty()) {
    return absl::InvalidArgumentError("a password was given without " + options.flag_prefix +
                                      "user");
  }
  return options;
}

// The monitor's bearer token: the file's first line, surrounding spaces removed (a
// Kubernetes Secret mounted as a file often ends with a newline).
absl::StatusOr<common::Secret> ReadTokenFile(const std::string& path) {
  constexpr std::streamsize kMaxTokenBytes = 4096;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError("--monitor-token-file " + path + ": cannot read the file");
  }
  std::string text(kMaxTokenBytes + 1, '\0');
  in.read(text.data(), kMaxTokenBytes + 1);
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > static_cast<size_t>(kMaxTokenBytes)) {
    return absl::InvalidArgumentError("--monitor-token-file " + path +
                                      ": larger than 4096 bytes; a token is one line");
  }
  text = text.substr(0, text.find('\n'));
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!text.empty() && space(text.back())) text.pop_back();
  size_t first = 0;
  while (first < text.size() && space(text[first])) ++first;
  text.erase(0, first);
  if (text.empty()) {
    return absl::InvalidArgumentError("--monitor-token-file " + path +
                                      ": the file is empty; put the token on its first line");
  }
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) {
      return absl::InvalidArgumentError(
          "--monitor-token-file " + path +
          ": the token must be printable ASCII without spaces (as an HTTP header carries it)");
    }
  }
  return common::Secret(std::move(text));
}

// Where the leader Lease is published: --kubeconfig, else the pod's service account, else
// nowhere (null). Loaded again after a 401, as a rotated service account token needs.
std::function<absl::StatusOr<k8s::RestConfig>()> LeaseApiSettings(const std::string& kubeconfig) {
  if (!kubeconfig.empty()) return [kubeconfig] { return k8s::LoadKubeconfig(kubeconfig); };
  if (const char* host = std::getenv("KUBERNETES_SERVICE_HOST"); host && *host) {
    return [] { return k8s::LoadInClusterConfig(); };
  }
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  cli::SetToolName("etcd-sync");
  CLI::App app{
      "etcd-sync: one-way replication of the primary global cluster's etcd into the "
      "standby's etcd"};
  cli::LogFlags log;
  // --print-detail-logs: the original name of -v (log every applied key).
  cli::AddCommonFlags(app, log, {"--print-detail-logs"});
  cli::UseYamlConfig(app,
                     "YAML file with the same settings as the flags (flag names "
                     "without dashes as keys)");
  Side source;
  Side dest;
  AddSideFlags(app, "source", "source (active/primary)", source);
  AddSideFlags(app, "dest", "destination (standby/local)", dest);
  etcdsync::SyncConfig config;
  std::vector<std::string> excluded;
  int lease_ttl = 10;
  int timeout_ms = 15000;
  app.add_option("--prefix", config.prefix, "key prefix to replicate")->capture_default_str();
  app.add_option("--exclude-prefix", excluded, "key prefix not to replicate (repeatable)");
  app.add_option("--state-prefix", config.state_prefix,
                 "where etcd-sync keeps its checkpoint and election keys in the destination")
      ->capture_default_str();
  app.add_option("--max-txn-ops", config.max_txn_ops,
                 "operations per destination Txn (the destination's --max-txn-ops)")
      ->check(kPositive)
      ->capture_default_str();
  app.add_option("--max-request-bytes", config.max_request_bytes,
                 "bytes per destination request (the destination's --max-request-bytes)")
      ->check(kPositive)
      ->capture_default_str();
  app.add_option("--copy-page-size", config.copy_page_size, "keys per source page while copying")
      ->check(kPositive)
      ->capture_default_str();
  app.add_option("--copy-parallelism", config.copy_parallelism,
                 "destination Txns in flight while copying")
      ->check(kPositive)
      ->capture_default_str();
  app.add_option("--leader-lease-ttl", lease_ttl, "seconds; leader lease on the destination")
      ->check(kPositive)
      ->capture_default_str();
  app.add_option("--request-timeout-ms", timeout_ms, "deadline of each etcd request")
      ->check(kPositive)
      ->capture_default_str();
  app.add_option("--identity", config.identity,
                 "this replica's name in the leader election (default: $POD_NAME or host-pid)");
  std::string rules_file;
  app.add_option("--rules", rules_file,
                 "YAML rules file: include/exclude by namespace, resource, key prefix or "
                 "pattern (default: the built-in Kubernetes rules)");
  bool owner_ordering = true;
  app.add_option("--owner-ordering", owner_ordering,
                 "hold dependents until their owners are on the standby")
      ->capture_default_str();
  int hold_timeout = 300;
  app.add_option("--hold-timeout", hold_timeout,
                 "seconds a dependent may wait for its owners before it is written anyway")
      ->check(kPositive)
      ->capture_default_str();
  std::string lease_keys = "skip";
  app.add_option("--lease-keys", lease_keys,
                 "keys bound to an etcd lease on the source: skip (neither copied nor "
                 "compared) or copy (without a lease, as make-mirror does)")
      ->check(CLI::IsMember({"skip", "copy"}))
      ->capture_default_str();
  monitor::MonitorOptions monitor_options;
  app.add_option("--monitor-listen", monitor_options.listen,
                 "host:port of the etcd-sync-monitor HTTP service (/check, /metrics, "
                 "/lag-history, /healthz, /readyz); IPv6 in brackets ([::]:8080; in a Pod "
                 "[$(POD_IP)]:8080 fits IPv4 and IPv6); empty to disable")
      ->capture_default_str();
  std::string monitor_token_file;
  app.add_option("--monitor-token-file", monitor_token_file,
                 "file holding a bearer token: /check and /lag-history (they list key names) "
                 "then need \"Authorization: Bearer <token>\"; /healthz, /readyz and /metrics "
                 "stay open");
  int source_down_grace = 20;
  app.add_option("--source-down-grace", source_down_grace,
                 "seconds the source (or destination) etcd may be unreachable before /readyz "
                 "fails")
      ->check(kPositive)
      ->capture_default_str();
  int check_interval = 300;
  app.add_option("--check-interval", check_interval,
                 "seconds between periodic consistency checks (they feed /metrics; on the leader "
                 "they also repair missed and stale standby keys)")
      ->check(kPositive)
      ->capture_default_str();
  int64_t periodic_check_page_bytes = 256 * 1024;
  app.add_option("--periodic-check-page-bytes", periodic_check_page_bytes,
                 "the periodic check reads the source one request of about this many bytes at "
                 "a time, so that across a WAN link it never queues more than that ahead of live "
                 "replication (256 KiB: about 10 ms of a 200 Mbit/s link); 0: as fast as GET "
                 "/check, which is never paced")
      ->check(CLI::Range(int64_t{0}, int64_t{64} << 20))
      ->capture_default_str();

  std::string kubeconfig;
  etcdsync::LeaderLeaseOptions lease_options;
  app.add_option("--kubeconfig", kubeconfig,
                 "kubeconfig of the standby cluster's API, where the leader is published as a "
                 "coordination.k8s.io Lease (default: the pod's service account; outside a pod "
                 "and without this flag the Lease is not published)");
  app.add_option("--lease-namespace", lease_options.ns, "namespace of the leader Lease")
      ->capture_default_str();
  app.add_option("--lease-name", lease_options.name, "name of the leader Lease")
      ->capture_default_str();
  BootstrapFlags bootstrap_flags;  // `etcd-sync bootstrap` (bootstrap_command.h)
  CLI::App* bootstrap_command = AddBootstrapCommand(app, bootstrap_flags);

  if (auto done = cli::Parse(app, argc, argv)) return *done;
  cli::StartLogging(log);
  if (bootstrap_command->parsed()) return RunBootstrap(bootstrap_flags);
  if (config.identity.empty()) config.identity = DefaultIdentity();
  config.lease_ttl = std::chrono::seconds(lease_ttl);
  config.hold_timeout = std::chrono::seconds(hold_timeout);
  config.lease_keys = lease_keys == "copy" ? etcdsync::SyncConfig::LeaseKeys::kCopy
                                           : etcdsync::SyncConfig::LeaseKeys::kSkip;
  monitor_options.check_interval = std::chrono::seconds(check_interval);
  monitor_options.source_down_grace = std::chrono::seconds(source_down_grace);
  monitor_options.build = {cli::BuildVersion(), cli::BuildCommit()};

  auto usage_error = [](const absl::Status& status) {
    return cli::Fail(exit_code::kUsage, status);
  };
  if (auto valid = etcdsync::ValidateConfig(config); !valid.ok()) return usage_error(valid);
  lease_options.identity = config.identity;
  lease_options.ttl = config.lease_ttl;
  if (auto valid = etcdsync::ValidateLeaderLeaseOptions(lease_options); !valid.ok()) {
    return usage_error(valid);
  }
  auto lease_api = LeaseApiSettings(kubeconfig);
  if (lease_api && !kubeconfig.empty()) {
    if (auto loaded = lease_api(); !loaded.ok()) {
      return usage_error(
          absl::InvalidArgumentError("--kubeconfig: " + std::string(loaded.status().message())));
    }
  }
  // Said once replication is about to start, so that a bad flag or an unreachable etcd stays
  // one line.
  std::function<void()> say_lease_not_published = [] {};
  if (lease_api && kubeconfig.empty()) {
    if (auto loaded = lease_api(); !loaded.ok()) {
      say_lease_not_published = [&, why = std::string(loaded.status().message())] {
        spdlog::warn("the leader Lease {}/{} is not published: {} (give --kubeconfig)",
                     lease_options.ns, lease_options.name, why);
      };
      lease_api = nullptr;
    }
  } else if (!lease_api) {
    say_lease_not_published = [&] {
      spdlog::info("the leader Lease {}/{} is not published: no --kubeconfig and not in a pod",
                   lease_options.ns, lease_options.name);
    };
  }
  if (!monitor_token_file.empty()) {
    auto token = ReadTokenFile(monitor_token_file);
    if (!token.ok()) return usage_error(token.status());
    monitor_options.token = *std::move(token);
  }
  etcdsync::SyncRules rules = etcdsync::DefaultSyncRules();
  if (!rules_file.empty()) {
    auto loaded = etcdsync::LoadSyncRules(rules_file);
    if (!loaded.ok()) return usage_error(loaded.status());
    rules = *std::move(loaded);
  }
  rules.exclude.prefixes.insert(rules.exclude.prefixes.end(), excluded.begin(), excluded.end());
  const auto timeout = std::chrono::milliseconds(timeout_ms);
  auto source_options = MakeClientOptions(source, "source etcd", "source", timeout);
  if (!source_options.ok()) return usage_error(source_options.status());
  auto dest_options = MakeClientOptions(dest, "destination etcd", "dest", timeout);
  if (!dest_options.ok()) return usage_error(dest_options.status());

  // Signals are taken by a dedicated thread so that shutdown is an ordinary stop request.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto source_client = etcd::Client::Connect(*std::move(source_options));
  if (!source_client.ok()) {
    return cli::Fail(exit_code::kFailed, source_client.status());
  }
  auto dest_client = etcd::Client::Connect(*std::move(dest_options));
  if (!dest_client.ok()) {
    return cli::Fail(exit_code::kFailed, dest_client.status());
  }

  etcdsync::SyncStats stats;
  etcdsync::KubernetesKeyFilter filter(config.prefix, rules);
  std::unique_ptr<etcdsync::ApplyPolicy> policy;
  if (owner_ordering) {
    policy = std::make_unique<etcdsync::OwnersFirstPolicy>(
        config.prefix, config.state_prefix, filter, config.hold_timeout,
        etcdsync::TxnLimits{config.max_txn_ops, config.max_request_bytes}, stats);
  } else {
    policy = std::make_unique<etcdsync::PassThroughPolicy>();
  }
  // The reconcile pass and the periodic check's repairs (issue 16).
  etcdsync::Reconciler reconciler(config, **source_client, **dest_client, filter, stats,
                                  rules.contested_after_repairs, periodic_check_page_bytes);
  monitor_options.reconciler = &reconciler;
  // The leader's monitor follows the source through the replicator's watch, not a second one.
  etcdsync::WatchTap watch_tap;
  monitor_options.tap = &watch_tap;
  std::unique_ptr<monitor::MonitorServer> monitor_server;
  if (!monitor_options.listen.empty()) {
    monitor_server = std::make_unique<monitor::MonitorServer>(
        monitor_options, config, **source_client, **dest_client, filter, stats);
    if (auto started = monitor_server->Start(); !started.ok()) {
      return cli::Fail(exit_code::kUsage, started);
    }
  }
  etcdsync::Syncer syncer(config, **source_client, **dest_client, filter, *policy, stats);
  std::unique_ptr<etcdsync::LeaseStore> lease_store;
  std::unique_ptr<etcdsync::LeaderLeasePublisher> lease_publisher;
  say_lease_not_published();
  if (lease_api) {
    const auto request_timeout = std::clamp<std::chrono::milliseconds>(
        config.lease_ttl / 3, std::chrono::seconds(1), std::chrono::seconds(5));
    lease_store = etcdsync::MakeRestLeaseStore(std::move(lease_api), request_timeout);
    lease_publisher =
        std::make_unique<etcdsync::LeaderLeasePublisher>(*lease_store, lease_options, stats);
    syncer.PublishLeadershipWith(lease_publisher.get());
  }
  syncer.set_reconciler(&reconciler);
  syncer.set_watch_tap(&watch_tap);
  std::stop_source stop;
  std::jthread signal_waiter([&] {
    int signal = 0;
    sigwait(&signals, &signal);
    spdlog::info("received signal {}, stopping", signal);
    stop.request_stop();
  });
  spdlog::info("etcd-sync replicating {} from {} to {}", config.prefix, source.endpoints,
               dest.endpoints);
  absl::Status result = syncer.Run(stop.get_token());
  if (!stop.stop_requested()) {
    // Wake the signal thread so the process can exit.
    pthread_kill(signal_waiter.native_handle(), SIGTERM);
  }
  if (!result.ok()) {
    spdlog::error("{}", result.message());
    return exit_code::kFailed;
  }
  return exit_code::kOk;
}
