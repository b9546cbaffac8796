// kubeconfig `exec` credential plugins (client.authentication.k8s.io v1 / v1beta1): run the
// plugin (never through a shell, with a timeout) and read the ExecCredential it prints.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/secret.h"

namespace k8s {

// A user's `exec` stanza as the kubeconfig gives it.
struct ExecConfig {
  std::string command;  // relative paths with a '/' are resolved against the kubeconfig's dir
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string api_version;       // client.authentication.k8s.io/v1 or /v1beta1
  std::string interactive_mode;  // Never, IfAvailable, Always
  std::string install_hint;
  bool provide_cluster_info = false;
};

// What the plugin printed: a bearer token, or a client certificate and key.
struct ExecCredential {
  common::Secret token;
  std::string client_cert_pem;
  common::Secret client_key_pem;
  std::optional<absl::Time> expiry;  // none: valid until the server refuses it
};

// The plugin's output is read up to this size (a token or a certificate chain is far less).
inline constexpr size_t kMaxExecCredentialBytes = 1 << 20;

// The ExecCredential JSON of `output`: apiVersion must be `api_version`, kind ExecCredential,
// status.token or both status.clientCertificateData and clientKeyData; bounded in size and
// depth. Errors (Unauthenticated) are one line naming `what` and never quote the token.
absl::StatusOr<ExecCredential> ParseExecCredential(std::string_view output,
                                                   const std::string& api_version,
                                                   const std::string& what);

// Runs the plugin with KUBERNETES_EXEC_INFO set (cluster info when asked: `server`, `ca_pem`)
// and returns its credential. stdin is passed only when interactive and it is a terminal;
// interactiveMode Always without one is refused. Unauthenticated errors: plugin not found
// (with its installHint), exited non-zero (the tail of its stderr), timed out, bad output.
absl::StatusOr<ExecCredential> RunExecPlugin(
    const ExecConfig& exec, const std::string& what, const std::string& server = "",
    const std::string& ca_pem = "", std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace k8s
