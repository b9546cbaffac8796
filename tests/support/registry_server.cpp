#include "support/registry_server.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <stdexcept>

#include "support/etcd_member.h"

namespace testing_support {

RegistryServer::RegistryServer(std::string state_dir, std::string name, std::string certs_dir,
                               std::string htpasswd, std::string token_realm,
                               std::string token_cert)
    : state_dir_(std::move(state_dir)), name_(std::move(name)) {
  std::string command = std::string(PROJECT_SOURCE_DIR) + "/scripts/registry-server.sh start '" +
                        state_dir_ + "' " + name_ + " --owner-pid " + std::to_string(getpid());
  if (!certs_dir.empty()) command += " --tls '" + certs_dir + "'";
  if (!htpasswd.empty()) command += " --htpasswd '" + htpasswd + "'";
  if (!token_realm.empty()) {
    command += " --token-realm '" + token_realm + "' --token-cert '" + token_cert + "'";
  }
  address_ = RunScript(command);
  const size_t newline = address_.rfind('\n');
  if (newline != std::string::npos) address_ = address_.substr(newline + 1);
}

RegistryServer::~RegistryServer() {
  try {
    RunScript(std::string(PROJECT_SOURCE_DIR) + "/scripts/registry-server.sh stop '" + state_dir_ +
              "' " + name_);
  } catch (...) {
  }
}

CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed: " + command);
  std::array<char, 4096> buffer;
  while (fgets(buffer.data(), buffer.size(), pipe) != nullptr) result.output += buffer.data();
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace testing_support
