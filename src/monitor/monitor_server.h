// The etcd-sync-monitor HTTP service, in the etcd-sync process: GET /check (text, or JSON
// with ?format=json / Accept: application/json), /metrics (Prometheus), /healthz and
// /readyz (ready once the initial copy is done), plus a periodic check feeding /metrics.
// Concurrent /check requests share one running check, and at most a few may wait for it,
// so that the health endpoints always have HTTP workers to answer on.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "etcd/client.h"
#include "monitor/deadline_http_server.h"
#include "monitor/metrics_text.h"
#include "sync/key_filter.h"
#include "sync/sync_config.h"
#include "sync/sync_stats.h"

namespace monitor {

class SpooledCheckSink;

// Runs one consistency check, reporting the differing keys to `sink`.
using CheckFunction =
    std::function<absl::StatusOr<etcdsync::CheckReport>(etcdsync::CheckSink& sink)>;

struct MonitorOptions {
  std::string listen = "0.0.0.0:8080";  // host:port; port 0 picks a free one
  std::chrono::seconds check_interval{300};
  // HTTP worker threads; /check requests may hold at most max_check_requests of them (more
  // get 429), the rest serve /healthz, /readyz and /metrics.
  int http_threads = 32;
  int max_check_requests = 8;
  // A connection must deliver each request (line, headers, body) within this, or is closed.
  std::chrono::milliseconds request_read_deadline{5000};
  // Empty: RunConsistencyCheck on the two etcds (tests inject a check of their own).
  CheckFunction check;
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
  // Callers (HTTP and periodic) waiting for the check in flight, 0 when none runs.
  int check_waiters();

 private:
  struct Outcome {
    absl::StatusOr<etcdsync::CheckReport> report;
    std::shared_ptr<SpooledCheckSink> spool;  // the differing keys, read-only once done
  };
  struct Flight {
    int waiters = 0;
    bool done = false;
    std::shared_ptr<const Outcome> outcome;
  };
  class CheckTicket;

  void Routes();
  ScrapeTimeFacts Facts();
  void PeriodicChecks(std::stop_token stop);
  // Joins the check in flight, or starts one: concurrent callers share one result.
  std::shared_ptr<const Outcome> SharedCheck();
  Outcome RunCheck();
  // A place among the /check requests being served, or nullptr when all are taken.
  std::shared_ptr<CheckTicket> AdmitCheck();

  MonitorOptions options_;
  const etcdsync::SyncConfig& config_;
  etcd::Client& source_;
  etcd::Client& destination_;
  const etcdsync::KeyFilter& filter_;
  const etcdsync::SyncStats& stats_;
  DeadlineHttpServer server_;
  int port_ = 0;
  std::mutex flight_mutex_;  // one check at a time: each reads both etcds in full
  std::condition_variable flight_done_;
  std::shared_ptr<Flight> flight_;
  std::atomic<int> check_requests_{0};
  std::mutex last_mutex_;
  LastCheck last_;
  std::jthread http_thread_;
  std::jthread check_thread_;
};

}  // namespace monitor
