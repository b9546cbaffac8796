// The etcd-sync-monitor HTTP service, in the etcd-sync process: GET /check (text, or JSON
// with ?format=json / Accept: application/json), /metrics (Prometheus), /healthz and
// /readyz (ready once the initial copy is done), plus a periodic check feeding /metrics.
#pragma once

#include <httplib.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "absl/status/status.h"
#include "etcd/client.h"
#include "monitor/metrics_text.h"
#include "sync/key_filter.h"
#include "sync/sync_config.h"
#include "sync/sync_stats.h"

namespace monitor {

struct MonitorOptions {
  std::string listen = "0.0.0.0:8080";  // host:port; port 0 picks a free one
  std::chrono::seconds check_interval{300};
};

class MonitorServer {
 public:
  MonitorServer(MonitorOptions options, const etcdsync::SyncConfig& config, etcd::Client& source,
                etcd::Client& destination, const etcdsync::KeyFilter& filter,
                const etcdsync::SyncStats& stats);
  ~MonitorServer();

  // Binds (one clear error if the address is taken) and starts serving and checking.
  absl::Status Start();
  int port() const { return port_; }

 private:
  void Routes();
  ScrapeTimeFacts Facts();
  void PeriodicChecks(std::stop_token stop);

  MonitorOptions options_;
  const etcdsync::SyncConfig& config_;
  etcd::Client& source_;
  etcd::Client& destination_;
  const etcdsync::KeyFilter& filter_;
  const etcdsync::SyncStats& stats_;
  httplib::Server server_;
  int port_ = 0;
  std::mutex check_mutex_;  // one check at a time: each reads both etcds in full
  std::mutex last_mutex_;
  LastCheck last_;
  std::jthread http_thread_;
  std::jthread check_thread_;
};

}  // namespace monitor
