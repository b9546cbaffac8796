#include "integration/kubectl_runner.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "support/etcd_member.h"

namespace testing_support {

KubectlRun RunShell(const std::string& command) {
  KubectlRun ran;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return ran;
  std::array<char, 4096> buffer;
  while (fgets(buffer.data(), buffer.size(), pipe) != nullptr) ran.output += buffer.data();
  const int status = pclose(pipe);
  ran.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return ran;
}

std::string KubectlBinary() {
  const char* chosen = std::getenv("KUBECTL");
  std::string path = chosen != nullptr && chosen[0] != '\0' ? chosen : "kubectl";
  std::string quoted = "'";
  for (const char c : path) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

bool HaveKubectl() { return RunShell("command -v " + KubectlBinary()).exit_code == 0; }

KubectlRunner::KubectlRunner(etcd::Client& etcd, apiserver::ResourceTable resources,
                             const std::string& work_dir)
    : work_dir_(work_dir), kubeconfig_(work_dir + "/kubeconfig"), etcd_(etcd) {
  RunShell("mkdir -p '" + work_dir_ + "'");
  RunScript(std::string(PROJECT_SOURCE_DIR) + "/scripts/gen-test-certs.sh '" + work_dir_ + "/pki'");
  apiserver::ApiServerOptions options;
  options.token = common::Secret("kubectl-token");
  options.certs_dir = work_dir_ + "/pki";
  options.tls_token_only = true;
  options.resources = std::move(resources);
  options_ = options;
  server_ = std::make_unique<apiserver::ApiServer>(etcd, std::move(options));
}

void KubectlRunner::Stop() { server_->Stop(); }

absl::Status KubectlRunner::Restart() {
  apiserver::ApiServerOptions options = options_;
  options.port = server_->port();
  server_->Stop();
  server_ = std::make_unique<apiserver::ApiServer>(etcd_, std::move(options));
  return server_->Start();
}

absl::Status KubectlRunner::Start() {
  if (absl::Status started = server_->Start(); !started.ok()) return started;
  std::ofstream(kubeconfig_) << "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
                             << "clusters:\n- name: k\n  cluster:\n    server: " << server_->url()
                             << "\n    certificate-authority: " << work_dir_ << "/pki/ca.crt"
                             << "\nusers:\n- name: u\n  user:\n    token: kubectl-token\n"
                             << "contexts:\n- name: c\n  context: {cluster: k, user: u, "
                                "namespace: default}\n";
  return absl::OkStatus();
}

KubectlRun KubectlRunner::Run(const std::string& arguments) const {
  return RunShell("KUBECONFIG='" + kubeconfig_ + "' HOME='" + work_dir_ + "' " + KubectlBinary() +
                  " " + arguments);
}

}  // namespace testing_support
