// A global cluster and a workload cluster "work-1" for the upgrade tools' tests: the stand-in
// API server over two real etcds (work-1 behind the platform proxy /kubernetes/work-1), a
// kubeconfig for it, objects that make every preflight check pass, and command runners.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "apiserver/api_server.h"
#include "k8s/resource_ref.h"
#include "k8s/rest_client.h"
#include "support/etcd_member.h"
#include "support/registry_server.h"
#include "support/temp_dir.h"

namespace upgrade_testing {

class UpgradeClusterTest : public ::testing::Test {
 protected:
  UpgradeClusterTest();

  k8s::RestConfig GlobalConfig() const;
  k8s::RestConfig WorkConfig() const;  // through the platform proxy
  k8s::RestClient& global() { return *global_; }
  k8s::RestClient& work() { return *work_; }

  // Create, or replace what is there (status included).
  void Put(k8s::RestClient& client, const k8s::ResourceRef& ref, const std::string& ns,
           nlohmann::json object);
  nlohmann::json Get(k8s::RestClient& client, const k8s::ResourceRef& ref, const std::string& ns,
                     const std::string& name);

  // Global at `version` with a Running Cluster, Machine, ModuleInfo, license, one
  // control-plane Node with its static pods, and cvsh global at `version`.
  void SeedHealthyGlobal(const std::string& version);
  // Workload cluster work-1 at `version` (Cluster, cvsh, ModuleInfo on global; Node and
  // static pods on its own etcd), Kubernetes `kubernetes`.
  void SeedWorkload(const std::string& version, const std::string& kubernetes = "v1.32.3");
  static void SeedNode(UpgradeClusterTest& test, k8s::RestClient& client, const std::string& node,
                       const std::string& kubelet, const std::string& runtime);

  // A release.yaml for `version` (images acp/component-N:v1 of the sample bundle).
  std::string WriteRelease(const std::string& version, int images = 4);

  // Runs a shell command with HOME in the temp dir (no stray ~/.kube/config).
  testing_support::CommandResult Run(const std::string& command) const;
  // "UPGRADE_CORE_BIN=... IMAGE_SYNC_BIN=... bash <source>/upgrade.sh "
  std::string UpgradeSh() const;
  std::string Ac() const;  // "<ac binary> "
  static int Lines(const std::string& text);

  testing_support::TempDir dir_;
  testing_support::EtcdMember global_etcd_;
  testing_support::EtcdMember work_etcd_;
  std::unique_ptr<apiserver::ApiServer> server_;
  std::unique_ptr<k8s::RestClient> global_, work_;
  std::string kubeconfig_;
};

}  // namespace upgrade_testing
