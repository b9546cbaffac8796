// The etcd-sync-monitor HTTP service, in every etcd-sync replica: GET /check (text, or JSON
// with ?format=json / Accept: application/json), /metrics (Prometheus), /lag-history (the
// last hour of lag, JSON), /healthz and /readyz (not ready while the leader copies, or
// while an etcd has been unreachable for longer than a grace period), plus a periodic check
// feeding /metrics. Background probes with short deadlines keep what /metrics and /readyz
// report current, so that no request waits on an etcd. Concurrent /check requests share
// one running check, and at most a few may wait for it, so that the health endpoints
// always have HTTP workers to answer on.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/secret.h"
#include "etcd/client.h"
#include "monitor/deadline_http_server.h"
#include "monitor/lag_history.h"
#include "monitor/lag_tracker.h"
#include "monitor/metrics_text.h"
#include "monitor/pending_changes.h"
#include "sync/checkpoint.h"
#include "sync/key_filter.h"
#include "sync/reconciler.h"
#include "sync/sync_config.h"
#include "sync/sync_stats.h"
#include "sync/watch_tap.h"

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
  // /readyz fails once the source (or the destination) has not answered a probe for
  // longer than this.
  std::chrono::seconds source_down_grace{20};
  // Each etcd is asked this often whether it answers, each time with this deadline (a
  // stopped etcd holds connections open without answering).
  std::chrono::milliseconds probe_interval{2000};
  std::chrono::milliseconds probe_timeout{2000};
  // /lag-history: one sample every interval, the newest `history_samples` kept.
  std::chrono::seconds history_interval{5};
  size_t history_samples = 720;
  // Non-empty: /check and /lag-history (they name keys) need "Authorization: Bearer <it>".
  common::Secret token;
  // etcd_sync_build_info's labels (the main knows the build).
  BuildInfo build;
  // Optional (outlives the server): the periodic check runs through it, so the leader
  // repairs missed and stale keys as it checks (GET /check never repairs); /check lists
  // its contested keys.
  etcdsync::Reconciler* reconciler = nullptr;
  // Optional (outlives the server): while the live replicator's watch is open, the monitor
  // takes the source's changes from it and closes its own watch (a follower, or a leader
  // still copying or between watches, keeps its own).
  etcdsync::WatchTap* tap = nullptr;
};

class MonitorServer : private etcdsync::WatchTap::Observer {
 public:
  // etcd_sync_lag_events counts at most this many keys (beyond: this many + 1).
  static constexpr size_t kMaxPendingKeys = 100000;

  MonitorServer(MonitorOptions options, const etcdsync::SyncConfig& config, etcd::Client& source,
                etcd::Client& destination, const etcdsync::KeyFilter& filter,
                const etcdsync::SyncStats& stats);
  ~MonitorServer() override;

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
    // Set when a GET /check joins: a paced periodic check then reads at full speed.
    std::atomic<bool> full_speed{false};
    std::shared_ptr<const Outcome> outcome;
  };
  class CheckTicket;

  // What the probes last saw, guarded by observed_mutex_.
  struct Observed {
    explicit Observed(double start) : source(start), dest(start) {}
    Reachability source;
    Reachability dest;
    int64_t source_revision = -1;
    std::optional<etcdsync::Checkpoint> checkpoint;  // in the destination
    int64_t lag_events = -1;                         // at the last sample
    int64_t newest_pending = 0;                      // newest unapplied change then
    LagTracker lag;
    // What the monitor's watch on the source (its own, or the replicator's through the tap)
    // saw and is not applied yet; it covers the changes from watch_start on while `watching`.
    PendingChanges pending{kMaxPendingKeys};
    bool watching = false;
    bool tap_open = false;  // the replicator's watch feeds `pending`; no watch of our own
    int64_t tap_closes = 0;
    int64_t watch_start = 0;
    int64_t watch_seen = 0;             // the newest source revision the watch has reported
    bool source_reported_down = false;  // logged once per outage
    bool dest_reported_down = false;
    bool source_probed = false;  // answered or failed at least once
    bool dest_probed = false;
  };

  void Routes();
  // Answers 401 and returns false when a token is set and the request lacks it.
  bool Authorized(const httplib::Request& request, httplib::Response& response) const;
  ScrapeTimeFacts Facts();
  ScrapeTimeFacts FactsLocked(double now);
  // A probe answer older than this no longer counts (a probe may hang until its deadline).
  double StaleAfter() const;
  // Records one probe's answer (observed_mutex_ held); logs an outage's start and end once.
  void RecordProbe(std::string_view etcd_name, Reachability& reachability, bool& probed,
                   bool& reported_down, const absl::Status& answer, double now);
  void ProbeSource();
  void ProbeDestination();
  void Sample();
  // Keeps a watch on the source's scope from the applied revision + 1 and records the
  // changes it delivers, so lag sampling costs O(changes), not O(keys in scope); none while
  // the replicator's watch is lent through the tap.
  void WatchSource(std::stop_token stop);
  absl::Status WatchSourceOnce(int64_t start, std::stop_token stop);
  // Records one watch response that follows `start` (observed_mutex_ held); false when the
  // applied revision went back before `start`, so the watch no longer covers it.
  bool ObserveLocked(const etcd::pb::WatchResponse& response, int64_t start, double now);
  // A watch (the monitor's own or the tap) starts counting changes after `start` - 1, or
  // stops counting (nothing pending is kept); observed_mutex_ held.
  void BeginWatchLocked(int64_t start);
  void EndWatchLocked();
  // etcdsync::WatchTap::Observer (on the replicator's watch reader thread).
  void TapOpened(int64_t start_revision) override;
  void TapDelivered(const etcd::pb::WatchResponse& response) override;
  void TapClosed() override;
  // Runs `step` now and then every `interval` until stopped.
  static void Every(std::chrono::milliseconds interval, std::stop_token stop,
                    const std::function<void()>& step);
  void PeriodicChecks(std::stop_token stop);
  // Joins the check in flight, or starts one: concurrent callers share one result.
  // `periodic`: a check this call starts may repair (through the reconciler).
  std::shared_ptr<const Outcome> SharedCheck(bool periodic = false);
  Outcome RunCheck(bool periodic, const std::atomic<bool>* full_speed);
  // A place among the /check requests being served, or nullptr when all are taken.
  std::shared_ptr<CheckTicket> AdmitCheck();

  MonitorOptions options_;
  bool injected_check_ = false;  // tests brought their own check function
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
  std::mutex observed_mutex_;
  std::condition_variable_any probed_;
  Observed observed_;
  std::stop_source own_watch_stop_;         // ends the monitor's own watch (tap opened)
  std::condition_variable_any watch_wake_;  // the tap closed: reopen our own watch now
  LagHistory history_;
  std::jthread http_thread_;
  std::jthread check_thread_;
  std::jthread source_probe_thread_;
  std::jthread dest_probe_thread_;
  std::jthread sample_thread_;
  std::jthread source_watch_thread_;
};

}  // namespace monitor
