// A local global-DR pair for the `ac adm dr` tests: two real etcds, the stand-in API server
// and the platform simulator on each, a real registry per cluster, the core package (this
// repo's upgrade.sh + a sample bundle), and etcd-sync primary -> standby run by a small
// "plugin controller" that plays the platform: it runs etcd-sync while the standby has the
// etcd-sync ModuleInfo, and restarts it when its pod object is deleted.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "apiserver/api_server.h"
#include "k8s/rest_client.h"
#include "platform_sim/platform_simulator.h"
#include "support/child_process.h"
#include "support/etcd_member.h"
#include "support/registry_server.h"
#include "support/temp_dir.h"

namespace dr_testing {

inline constexpr const char* kFromVersion = "4.1.0";
inline constexpr const char* kToVersion = "4.2.0";
inline constexpr const char* kStandbyVip = "10.20.0.2";
inline constexpr const char* kPluginName = "global-etcd-sync";

// How the pair starts; the defaults are the pair every DR test had before.
struct DrPairOptions {
  // The plugin's ModuleInfo names its source the way a real one does (spec.config
  // active-global-vip and source-endpoints = the primary's etcd); the controller follows it.
  bool plugin_config_names_source = false;
  // etcd-sync's monitor asks for this bearer token on /check (--monitor-token-file).
  std::string monitor_token;
};

class DrPair {
 public:
  explicit DrPair(DrPairOptions options = {});
  ~DrPair();

  k8s::RestClient& primary() { return *primary_client_; }
  k8s::RestClient& standby() { return *standby_client_; }
  testing_support::EtcdMember& primary_etcd() { return *primary_etcd_; }
  testing_support::EtcdMember& standby_etcd() { return *standby_etcd_; }
  const std::string& monitor_url() const { return monitor_url_; }
  const std::string& package_dir() const { return package_dir_; }
  const testing_support::TempDir& dir() const { return dir_; }

  // `ac adm dr <command> ...` with both kubeconfigs, the monitor, the VIP, the registries.
  // `with_monitor_url` false: the command finds the monitor through its Service.
  std::vector<std::string> AcArgs(const std::string& command, bool with_monitor_url = true) const;
  // The argv above run to completion; stdout+stderr and the exit code.
  testing_support::CommandResult RunAc(const std::string& command,
                                       const std::vector<std::string>& extra = {},
                                       bool with_monitor_url = true) const;
  int monitor_port() const { return monitor_port_; }
  // From now on RunAc reaches the clusters as --primary-address/--standby-address with the
  // tokens in $AC_DR_PRIMARY_TOKEN/$AC_DR_STANDBY_TOKEN instead of kubeconfigs.
  void UseAddresses() { by_address_ = true; }
  // From now on RunAc/AcArgs name the clusters the other way round (after a failover the old
  // standby is the primary): --primary-* the standby of the pair, --standby-* its primary,
  // --standby-vip the old primary's address in alternativeURLs, --primary-etcd-endpoints
  // the old standby's etcd.
  void SwapRoles() { swapped_ = true; }

  // Waits until the monitor says 0 missed / 0 surplus (after the initial copy).
  bool WaitConsistent(std::chrono::seconds timeout = std::chrono::seconds(60));
  // The controller runs etcd-sync on the cluster that holds the plugin's ModuleInfo (dest =
  // that cluster's etcd) from the ModuleInfo's spec.config source-endpoints (else the other
  // cluster's etcd), as the plugin would; its pods and Lease are on that cluster.
  // The argv of the etcd-sync running now (empty when none).
  std::vector<std::string> sync_argv();
  // How many times the plugin controller started etcd-sync.
  int sync_starts() const { return sync_starts_.load(); }
  bool sync_running();
  std::string SyncLogs() const;
  // Images in a registry's catalog.
  int CatalogSize(bool standby) const;
  // Entries of cvsh global status.history on one cluster with `version`.
  int HistoryEntries(bool standby, const std::string& version);

 private:
  void WriteKubeconfig(const std::string& path, const std::string& server);
  void WritePackage();
  void Seed();
  void ControlPlugin(std::stop_token stop);
  void StartSync(bool on_standby, const std::string& source_endpoints);
  void StopSync();

  DrPairOptions options_;
  testing_support::TempDir dir_;
  std::unique_ptr<testing_support::EtcdMember> primary_etcd_, standby_etcd_;
  std::unique_ptr<apiserver::ApiServer> primary_api_, standby_api_;
  std::unique_ptr<k8s::RestClient> primary_client_, standby_client_;
  std::unique_ptr<platform_sim::PlatformSimulator> primary_sim_, standby_sim_;
  std::unique_ptr<testing_support::RegistryServer> primary_registry_, standby_registry_;
  std::string primary_kubeconfig_, standby_kubeconfig_, package_dir_, rules_file_;
  int monitor_port_ = 0;
  bool by_address_ = false;
  bool swapped_ = false;
  std::string monitor_token_file_;
  std::string monitor_url_;

  std::mutex sync_mutex_;
  std::unique_ptr<testing_support::ChildProcess> sync_;
  std::string sync_pod_;
  bool sync_on_standby_ = true;  // the cluster the running etcd-sync writes to
  std::vector<std::string> sync_argv_;
  bool lease_written_ = false;
  std::atomic<int> sync_starts_{0};
  std::jthread controller_;
};

}  // namespace dr_testing
