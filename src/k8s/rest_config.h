// Where and how to reach a Kubernetes API server: read from a kubeconfig file (its
// current-context) or from the in-cluster service account. Credentials stay in Secrets.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/secret.h"
#include "k8s/exec_credential.h"

namespace k8s {

struct RestConfig {
  std::string server;             // "https://10.0.0.1:6443"
  std::string ca_file;            // PEM file of trusted CAs, or
  std::string ca_pem;             // ... the PEM itself (certificate-authority-data)
  std::string client_cert_file;   // PEM client certificate, or
  std::string client_cert_pem;    // ... the PEM itself
  std::string client_key_file;    // PEM private key, or
  common::Secret client_key_pem;  // ... the PEM itself
  common::Secret token;           // bearer token
  // HTTP Basic credentials (the platform's local users), used only when no token is set.
  std::string username;
  common::Secret password;
  bool insecure_skip_tls_verify = false;
  // The name the server's certificate is checked against (and sent as SNI) instead of the
  // server URL's host; the connection still goes to the URL's address.
  std::string tls_server_name;
  // http://, https:// or socks5:// proxy for every request (kubeconfig proxy-url); empty:
  // the environment's https_proxy/no_proxy as libcurl reads them.
  std::string proxy_url;
  // An exec credential plugin: the REST client runs it for a token or client certificate.
  std::optional<ExecConfig> exec;
  std::string source;  // "kubeconfig /root/.kube/config": names errors
};

// Reads `path`; `context` overrides its current-context when not empty. Relative file
// paths in the file are relative to its directory, as kubectl resolves them.
absl::StatusOr<RestConfig> LoadKubeconfig(const std::string& path, const std::string& context = "");
// One kubeconfig from its text (`path` names it and anchors its relative paths; files it
// references are still read): the fuzzers' entry point.
absl::StatusOr<RestConfig> ParseKubeconfig(const std::string& text, const std::string& path,
                                           const std::string& context = "");

// A KUBECONFIG value "a:b:c" merged as kubectl merges it: for each cluster/user/context name
// the first file that defines it wins; current-context comes from the first file that sets
// it; missing files and empty entries are skipped (all missing: NotFound). Each file and all
// of them together are bounded in size (16 MiB), at most 64 files.
absl::StatusOr<RestConfig> LoadKubeconfigList(const std::string& list,
                                              const std::string& context = "");

// "a::b:a" -> {"a", "b"}: empty entries and repeats dropped, order kept.
std::vector<std::string> SplitKubeconfigList(std::string_view list);

// KUBERNETES_SERVICE_HOST/PORT and <account_dir>/{token,ca.crt}.
absl::StatusOr<RestConfig> LoadInClusterConfig(
    const std::string& account_dir = "/var/run/secrets/kubernetes.io/serviceaccount");

}  // namespace k8s
