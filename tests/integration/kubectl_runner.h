// Real kubectl against a TEST STAND-IN API server over HTTPS with a bearer token: starts a
// token-only TLS stand-in on the given etcd, writes a kubeconfig for it, runs kubectl.
#pragma once

#include <memory>
#include <string>

#include "apiserver/api_server.h"
#include "etcd/client.h"

namespace testing_support {

struct KubectlRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// A shell command's exit code and output.
KubectlRun RunShell(const std::string& command);
// The kubectl to run: $KUBECTL (a path, e.g. /opt/kubectl-1.20/usr/bin/kubectl, Debian 12's
// kubernetes-client unpacked by scripts/install-deps.sh) or `kubectl` on the PATH; quoted for
// the shell.
std::string KubectlBinary();
bool HaveKubectl();

class KubectlRunner {
 public:
  // `work_dir` holds the test PKI, the kubeconfig and kubectl's HOME (no shared cache).
  KubectlRunner(etcd::Client& etcd, apiserver::ResourceTable resources,
                const std::string& work_dir);
  absl::Status Start();
  // The API server goes away (connections refused), then serves again on the same address
  // with the same PKI and token: an API outage as a client sees it.
  void Stop();
  absl::Status Restart();
  // `kubectl <arguments>` (arguments already quoted for the shell).
  KubectlRun Run(const std::string& arguments) const;
  const std::string& kubeconfig() const { return kubeconfig_; }
  const std::string& home() const { return work_dir_; }

 private:
  std::string work_dir_;
  std::string kubeconfig_;
  etcd::Client& etcd_;
  apiserver::ApiServerOptions options_;
  std::unique_ptr<apiserver::ApiServer> server_;
};

}  // namespace testing_support
