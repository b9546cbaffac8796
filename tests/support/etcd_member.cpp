#include "support/etcd_member.h"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <stdexcept>

namespace testing_support {

std::string RunScript(const std::string& command) {
  std::string output;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed: " + command);
  std::array<char, 4096> buffer;
  while (fgets(buffer.data(), buffer.size(), pipe) != nullptr) output += buffer.data();
  const int status = pclose(pipe);
  if (status != 0) throw std::runtime_error(command + " failed:\n" + output);
  while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) output.pop_back();
  return output;
}

EtcdMember::EtcdMember(std::string state_dir, std::string name, std::string certs_dir)
    : state_dir_(std::move(state_dir)), name_(std::move(name)), certs_dir_(std::move(certs_dir)) {
  std::string command = std::string(PROJECT_SOURCE_DIR) + "/scripts/etcd-member.sh start '" +
                        state_dir_ + "' " + name_ + " --owner-pid " + std::to_string(getpid());
  if (!certs_dir_.empty()) command += " --tls '" + certs_dir_ + "'";
  url_ = RunScript(command);
  const size_t newline = url_.rfind('\n');
  if (newline != std::string::npos) url_ = url_.substr(newline + 1);
}

EtcdMember::~EtcdMember() {
  client_.reset();
  try {
    RunScript(std::string(PROJECT_SOURCE_DIR) + "/scripts/etcd-member.sh stop '" + state_dir_ +
              "' " + name_);
  } catch (...) {
  }
}

etcd::Client& EtcdMember::client() {
  if (!client_) {
    etcd::ClientOptions options;
    options.cluster_name = name_ + " etcd";
    options.endpoints = etcd::ParseEndpoints(url_).value();
    if (!certs_dir_.empty()) {
      options.tls = {certs_dir_ + "/ca.crt", certs_dir_ + "/client.crt",
                     certs_dir_ + "/client.key"};
    }
    auto client = etcd::Client::Connect(options);
    if (!client.ok()) throw std::runtime_error(std::string(client.status().message()));
    client_ = *std::move(client);
  }
  return *client_;
}

}  // namespace testing_support
