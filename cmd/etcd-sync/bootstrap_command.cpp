#include "bootstrap_command.h"

#include <spdlog/spdlog.h>

#include <cstdlib>

#include "bootstrap/bootstrap.h"
#include "cli/fail.h"
#include "common/exit_codes.h"
#include "k8s/rest_client.h"
#include "k8s/rest_config.h"
#include "platform/connection.h"

namespace {

// The standby's API: --kubeconfig, else the Pod's service account (the Job), else
// $KUBECONFIG or ~/.kube/config.
absl::StatusOr<k8s::RestConfig> LocalConfig(const BootstrapFlags& flags) {
  if (!flags.kubeconfig.empty()) return k8s::LoadKubeconfigList(flags.kubeconfig);
  if (const char* host = std::getenv("KUBERNETES_SERVICE_HOST"); host && *host) {
    return k8s::LoadInClusterConfig();
  }
  const std::string path = platform::KubeconfigPath(platform::Connection{});
  if (path.empty()) {
    return absl::InvalidArgumentError(
        "no Kubernetes API for this (standby) cluster: run in a Pod, or give --kubeconfig");
  }
  return k8s::LoadKubeconfigList(path);
}

int ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return exit_code::kAuthRefused;
    case absl::StatusCode::kUnavailable:
      return exit_code::kClusterUnreachable;
    case absl::StatusCode::kDeadlineExceeded:
      return exit_code::kTimedOut;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
      return exit_code::kUsage;
    case absl::StatusCode::kDataLoss:
      return exit_code::kInvalidInput;
    default:
      return exit_code::kFailed;
  }
}

}  // namespace

CLI::App* AddBootstrapCommand(CLI::App& app, BootstrapFlags& flags) {
  app.add_option("--active-global-vip", flags.active_global_vip,
                 "VIP of the active global cluster (host or host:port); `etcd-sync bootstrap` "
                 "reaches its API at https://<vip>/kubernetes/global");
  app.add_option("--active-token-secret", flags.active_token_secret,
                 "Secret (name in cpaas-system, or namespace/name) on this cluster whose key "
                 "token is the active cluster's k8sadmin token; optional key ca.crt verifies "
                 "the active address")
      ->capture_default_str();
  app.add_option("--active-etcd-ca-secret", flags.active_etcd_ca_secret,
                 "namespace/name of the Secret on the ACTIVE cluster holding its etcd CA "
                 "(tls.crt/tls.key or ca.crt/ca.key); assumed, not documented by ACP")
      ->capture_default_str();
  app.add_option("--platform-cert-secret", flags.platform_cert_secret,
                 "namespace/name of the Secret on this cluster with the platform certificate "
                 "both clusters share (its ca.crt, else tls.crt, verifies the active address "
                 "when the token Secret has no ca.crt); \"\" for the system's CAs")
      ->capture_default_str();
  app.add_option("--active-server-name", flags.active_server_name,
                 "name the active address's certificate is checked against (the platform "
                 "domain) when the VIP is not in it");
  app.fallthrough();
  CLI::App* command = app.add_subcommand(
      "bootstrap",
      "prepare Secret remote-etcd-ca, Issuer remote-etcd-issuer, Certificate and Secret "
      "remote-etcd-client on this (standby) cluster from the active cluster's etcd CA (what "
      "Job etcd-sync-bootstrap runs)");
  command->add_option("--kubeconfig", flags.kubeconfig,
                      "kubeconfig of this (standby) cluster (default: the Pod's service "
                      "account, else $KUBECONFIG or ~/.kube/config)");
  command
      ->add_option("--client-wait", flags.client_wait,
                   "seconds to wait for cert-manager to issue Secret remote-etcd-client (0: "
                   "do not wait); without cert-manager the bootstrap signs it at once")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  return command;
}

int RunBootstrap(const BootstrapFlags& flags) {
  bootstrap::Options options;
  options.active_global_vip = flags.active_global_vip;
  options.active_server_name = flags.active_server_name;
  options.client_wait = absl::Seconds(flags.client_wait);
  auto token_secret = bootstrap::ParseNamespacedName(flags.active_token_secret, options.ns,
                                                     "--active-token-secret");
  if (!token_secret.ok()) return cli::Fail(exit_code::kUsage, token_secret.status());
  options.token_secret = *token_secret;
  auto ca_secret = bootstrap::ParseNamespacedName(flags.active_etcd_ca_secret, "kube-system",
                                                  "--active-etcd-ca-secret");
  if (!ca_secret.ok()) return cli::Fail(exit_code::kUsage, ca_secret.status());
  options.active_etcd_ca_secret = *ca_secret;
  if (flags.platform_cert_secret.empty()) {
    options.platform_cert_secret = {};
  } else {
    auto platform_cert = bootstrap::ParseNamespacedName(flags.platform_cert_secret, options.ns,
                                                        "--platform-cert-secret");
    if (!platform_cert.ok()) return cli::Fail(exit_code::kUsage, platform_cert.status());
    options.platform_cert_secret = *platform_cert;
  }
  auto config = LocalConfig(flags);
  if (!config.ok()) return cli::Fail(exit_code::kUsage, config.status());
  k8s::RestClient local(*std::move(config));
  auto result = bootstrap::Run(local, options);
  if (!result.ok()) return cli::Fail(ExitCodeFor(result.status()), result.status());
  spdlog::info("bootstrap done: {} from {} ({}); {}",
               result->cert_manager
                   ? "Issuer remote-etcd-issuer and Certificate remote-etcd-client (cert-manager)"
                   : "Secret remote-etcd-client signed here (no cert-manager)",
               result->active_url,
               result->changes.empty()
                   ? "nothing changed"
                   : std::to_string(result->changes.size()) + " object(s) written",
               "Secret remote-etcd-ca holds the active etcd CA");
  return exit_code::kOk;
}
