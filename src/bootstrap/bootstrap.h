// `etcd-sync bootstrap` (4.3.1+, what Job etcd-sync-bootstrap runs on the standby): with the
// token in Secret cpaas-system/etcd-sync-active-cluster-token it reads the active cluster's
// etcd CA through https://<Active Global Cluster VIP>/kubernetes/global and prepares the
// standby's Secret remote-etcd-ca, Issuer remote-etcd-issuer, Certificate remote-etcd-client
// and Secret remote-etcd-client (signed here when no cert-manager runs).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "k8s/rest_client.h"

namespace bootstrap {

struct NamespacedName {
  std::string ns;
  std::string name;
  std::string ToString() const { return ns + "/" + name; }
};

// "name" (in `default_ns`) or "namespace/name"; `setting` names the flag in errors.
absl::StatusOr<NamespacedName> ParseNamespacedName(const std::string& text,
                                                   const std::string& default_ns,
                                                   const std::string& setting);

// The names the docs give (acp-spec §8.4), all in the standby's cpaas-system.
inline constexpr char kRemoteCaSecret[] = "remote-etcd-ca";
inline constexpr char kIssuer[] = "remote-etcd-issuer";
inline constexpr char kCertificate[] = "remote-etcd-client";
inline constexpr char kClientSecret[] = "remote-etcd-client";
inline constexpr char kClientCommonName[] = "etcd-sync";

struct Options {
  // The Active Global Cluster VIP (host, host:port or [IPv6]:port); its platform address
  // https://<vip>/kubernetes/global reaches the active cluster's API. Only https.
  std::string active_global_vip;
  // On the standby: key `token` (the active cluster's k8sadmin token) and optionally
  // `ca.crt`, the CA (or certificate) the active address is verified with.
  NamespacedName token_secret{"cpaas-system", "etcd-sync-active-cluster-token"};
  // ASSUMPTION (the docs do not say where the active cluster keeps its etcd CA): a Secret
  // kube-system/etcd-ca with tls.crt/tls.key (or ca.crt/ca.key), readable with the token.
  NamespacedName active_etcd_ca_secret{"kube-system", "etcd-ca"};
  // On the standby: the platform certificate both clusters share (§8.2, "An Existing
  // Certificate", the same on both). Its ca.crt, else its tls.crt, verifies the active
  // address when the token Secret has no ca.crt. Empty name: the system's CAs instead.
  NamespacedName platform_cert_secret{"cpaas-system", "dex.tls"};
  // The name the active address's certificate is checked against (the platform domain)
  // when the VIP itself is not in it; empty: the VIP.
  std::string active_server_name;
  std::string ns = "cpaas-system";  // where the remote-etcd-* objects are written
  absl::Duration client_validity = absl::Hours(24 * 365);
  // A self-signed client certificate with less left than this is issued again.
  absl::Duration renew_before = absl::Hours(24 * 30);
  std::chrono::milliseconds timeout{30000};
  // With cert-manager: how long to wait for it to write Secret remote-etcd-client from the
  // current CA (the release goes on only once that Secret exists, §8.4); zero: do not wait.
  absl::Duration client_wait = absl::Seconds(120);
  std::function<void(absl::Duration)> sleep = [](absl::Duration d) { absl::SleepFor(d); };
  std::function<absl::Time()> now = [] { return absl::Now(); };
};

struct Result {
  std::string active_url;            // https://<vip>/kubernetes/global
  std::string trusted_with;          // what verified the active address
  bool cert_manager = false;         // cert-manager.io/v1 Issuer and Certificate are served locally
  bool client_issued = false;        // this run signed Secret remote-etcd-client itself
  std::vector<std::string> changes;  // "Secret cpaas-system/remote-etcd-ca updated", ...
};

// One bootstrap pass; re-running it converges (objects updated in place by resourceVersion,
// the client certificate issued again when it no longer verifies against the active CA or
// expires within renew_before). Secret remote-etcd-ca is written last, so a failed run
// leaves the old set and the next run still sees the difference. Errors (one line):
// Unauthenticated/PermissionDenied — the token Secret is missing, lacks `token`, or the
// active cluster refused it (the message names the Secret); Unavailable — a cluster could
// not be reached (or its TLS failed); NotFound — the active etcd CA Secret does not exist;
// InvalidArgument — bad settings or a CA Secret that holds no CA pair; DeadlineExceeded —
// cert-manager did not issue Secret remote-etcd-client within client_wait.
absl::StatusOr<Result> Run(k8s::RestClient& local, const Options& options);

}  // namespace bootstrap
