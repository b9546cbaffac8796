// A platform for violet's tests: a global and a workload cluster (stand-in API server over
// real etcds, the platform proxy /kubernetes/<cluster>), a real registry, sample packages
// from scripts/make-sample-packages.sh, and violet run as a real process.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "apiserver/api_server.h"
#include "k8s/rest_client.h"
#include "support/etcd_member.h"
#include "support/registry_server.h"
#include "support/temp_dir.h"

namespace testing_support {

inline constexpr const char* kPlatformToken = "platform-token-1";
inline constexpr const char* kAdminUser = "admin";
inline constexpr const char* kAdminPassword = "admin pass";

// Builds sample packages into `dir` (extra: script flags); returns `dir`.
std::string MakeSamplePackages(const std::string& dir, const std::string& extra = "");

// Runs violet with `args` (quoted for the shell); secrets go through the environment:
// $VIOLET_PLATFORM_TOKEN etc. are set by the caller with ScopedEnv.
CommandResult RunViolet(const std::vector<std::string>& args);

// Sets an environment variable for one scope (the child processes inherit it).
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::string& value);
  ~ScopedEnv();

 private:
  std::string name_;
};

class VioletTest : public ::testing::Test {
 protected:
  VioletTest();

  // --platform-address plus the registry flags for the test registry (plain HTTP).
  std::vector<std::string> Push(const std::string& path, std::vector<std::string> extra = {});
  k8s::RestClient Cluster(const std::string& cluster);  // through the platform proxy
  absl::StatusOr<nlohmann::json> GetObject(const std::string& cluster, const k8s::ResourceRef& ref,
                                           const std::string& ns, const std::string& name);
  // True when the registry holds repository:tag.
  bool RegistryHas(const std::string& registry, const std::string& repository,
                   const std::string& tag);
  void CreateObject(const k8s::ResourceRef& ref, const std::string& ns, nlohmann::json object,
                    const nlohmann::json& status = nullptr);

  TempDir dir_;
  EtcdMember global_etcd_;
  EtcdMember workload_etcd_;
  RegistryServer registry_;
  std::unique_ptr<apiserver::ApiServer> server_;
  std::string packages_;
  ScopedEnv token_{"VIOLET_PLATFORM_TOKEN", kPlatformToken};
  ScopedEnv keyring_;
};

}  // namespace testing_support
