// What every DR step works with: both clusters (REST clients and a kubeconfig for the
// scripts it runs), the package, the registries, the monitor, where progress goes.
#pragma once

#include <chrono>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/secret.h"
#include "k8s/rest_client.h"
#include "k8s/rest_config.h"
#include "platform/connection.h"

namespace dr {

struct ClusterAccess {
  std::string label;  // "primary" / "standby"
  k8s::RestConfig config;
  // The kubeconfig the operator gave; empty when the cluster is reached through the
  // platform address (a private one is then written for the child scripts).
  std::string kubeconfig;
  // How the cluster was reached; its workload clusters are reached through the same platform
  // proxy (<server>/kubernetes/<name>) — the failover's warlock restart.
  platform::Connection connection = {};
};

struct RegistryTarget {
  std::string address;  // host:port
  std::string username;
  common::Secret password;
  bool no_auth = false;
  bool plain = false;     // HTTP
  bool insecure = false;  // HTTPS without verification
  std::string ca_file;
};

struct DrOptions {
  std::string target_version;
  std::string source_version;      // --from; empty: read from the primary
  std::string package_dir;         // holds upgrade.sh and images/
  std::string monitor_url;         // empty: from Service cpaas-system/etcd-sync-monitor
  common::Secret monitor_token;    // the monitor's bearer token (--monitor-token-file)
  std::string monitor_token_file;  // where it was read from (absolute), for resume commands
  std::string standby_vip;
  std::vector<std::string> primary_etcd_endpoints;
  RegistryTarget primary_registry;
  RegistryTarget standby_registry;
  std::string domain;         // failover: the platform access domain
  bool primary_lost = false;  // failover: the old primary is gone
  std::string plugin_object;  // reenable: a file with the plugin ModuleInfo (JSON/YAML)
  // reenable: the new active cluster's VIP (the old standby's), written into the plugin's
  // active-global-vip for the reversed direction; primary_etcd_endpoints -> source-endpoints.
  std::string primary_vip;
  bool restart_coredns = false;  // failover check-dns: restart coredns on the new primary
  // The command line that resumes this run (no secret values), kept in the journal and
  // printed when a step stops the run; empty: "rerun the same command".
  std::string resume_command;
  std::chrono::seconds step_timeout{3600};
  std::chrono::milliseconds poll{500};
  // How long an upgrade may report Stalled=True without stage progress before its step fails.
  std::chrono::seconds stall_grace{60};
};

class DrContext {
 public:
  DrContext(DrOptions options, ClusterAccess primary, ClusterAccess standby, std::ostream& out);

  const DrOptions& options() const { return options_; }
  const ClusterAccess& primary() const { return primary_; }
  const ClusterAccess& standby() const { return standby_; }
  const ClusterAccess& access(bool standby) const { return standby ? standby_ : primary_; }
  k8s::RestClient& primary_client() { return primary_client_; }
  k8s::RestClient& standby_client() { return standby_client_; }
  k8s::RestClient& client(bool standby) { return standby ? standby_client_ : primary_client_; }
  std::ostream& out() { return out_; }

  // --monitor-url, else http://<clusterIP of Service cpaas-system/etcd-sync-monitor> read
  // through the standby's API (IPv6 in brackets); remembered once found.
  absl::StatusOr<std::string> MonitorUrl();

 private:
  DrOptions options_;
  ClusterAccess primary_;
  ClusterAccess standby_;
  k8s::RestClient primary_client_;
  k8s::RestClient standby_client_;
  std::ostream& out_;
  std::string monitor_url_;
};

}  // namespace dr
