#include "monitor/monitor_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>

#include "common/absl_fmt.h"
#include "common/status_macros.h"
#include "etcd/endpoint.h"
#include "etcd/key_range.h"
#include "etcd/watch_stream.h"
#include "monitor/bearer_token.h"
#include "monitor/listen_address.h"
#include "monitor/spooled_check_sink.h"
#include "sync/consistency_check.h"

namespace monitor {
namespace {

// Counts no more than this many changed keys when computing lag in events with a scan.
constexpr int kLagScanLimit = static_cast<int>(MonitorServer::kMaxPendingKeys);

// How long a refused /check caller is asked to wait before retrying.
constexpr int kCheckRetryAfterSeconds = 10;

// The deadline of the scan that counts changed keys (it reads up to kLagScanLimit keys).
constexpr auto kLagScanTimeout = std::chrono::seconds(5);

bool WantsJson(const httplib::Request& request) {
  if (request.get_param_value("format") == "json") return true;
  return request.get_header_value("Accept").find("application/json") != std::string::npos;
}

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Steady-clock seconds, on the same clock as SyncStats' *_ns fields.
double SteadyNow() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double SteadySeconds(int64_t steady_ns) { return static_cast<double>(steady_ns) / 1e9; }

}  // namespace

MonitorServer::MonitorServer(MonitorOptions options, const etcdsync::SyncConfig& config,
                             etcd::Client& source, etcd::Client& destination,
                             const etcdsync::KeyFilter& filter, const etcdsync::SyncStats& stats)
    : options_(std::move(options)),
      config_(config),
      source_(source),
      destination_(destination),
      filter_(filter),
      stats_(stats),
      server_(static_cast<size_t>(std::max(options_.http_threads, options_.max_check_requests + 2)),
              options_.request_read_deadline),
      observed_(SteadyNow()),
      history_(options_.history_samples) {
  injected_check_ = static_cast<bool>(options_.check);
  if (!options_.check) {
    options_.check = [this](etcdsync::CheckSink& sink) {
      return etcdsync::RunConsistencyCheck(source_, destination_, config_, filter_, sink);
    };
  }
}

class MonitorServer::CheckTicket {
 public:
  explicit CheckTicket(std::atomic<int>& count) : count_(count) {}
  ~CheckTicket() { --count_; }

 private:
  std::atomic<int>& count_;
};

std::shared_ptr<MonitorServer::CheckTicket> MonitorServer::AdmitCheck() {
  if (++check_requests_ > options_.max_check_requests) {
    --check_requests_;
    return nullptr;
  }
  return std::make_shared<CheckTicket>(check_requests_);
}

int MonitorServer::check_waiters() {
  std::lock_guard lock(flight_mutex_);
  return flight_ ? flight_->waiters : 0;
}

MonitorServer::Outcome MonitorServer::RunCheck(bool periodic, const std::atomic<bool>* full_speed) {
  Outcome outcome;
  try {
    outcome.spool = std::make_shared<SpooledCheckSink>();
    // Through the reconciler, /check too plans from the boundaries its passes keep (no
    // discovery calls after the first pass); it never repairs.
    if (options_.reconciler != nullptr && !injected_check_) {
      outcome.report =
          options_.reconciler->Run(periodic ? etcdsync::Reconciler::Trigger::kPeriodic
                                            : etcdsync::Reconciler::Trigger::kReportOnly,
                                   outcome.spool.get(), {}, full_speed);
    } else {
      outcome.report = options_.check(*outcome.spool);
    }
    if (options_.reconciler != nullptr) {
      const etcdsync::RepairLedger& ledger = options_.reconciler->ledger();
      outcome.spool->SetContested(ledger.ContestedKeys(), ledger.contested());
    }
  } catch (const std::exception& e) {
    outcome.report = absl::InternalError(e.what());
  }
  return outcome;
}

std::shared_ptr<const MonitorServer::Outcome> MonitorServer::SharedCheck(bool periodic) {
  std::unique_lock lock(flight_mutex_);
  if (std::shared_ptr<Flight> flight = flight_) {
    ++flight->waiters;
    if (!periodic) flight->full_speed = true;  // an operator waits: no more pacing
    flight_done_.wait(lock, [&] { return flight->done; });
    return flight->outcome;
  }
  auto flight = std::make_shared<Flight>();
  flight->waiters = 1;
  flight_ = flight;
  lock.unlock();
  auto outcome = std::make_shared<const Outcome>(RunCheck(periodic, &flight->full_speed));
  lock.lock();
  flight->outcome = outcome;
  flight->done = true;
  flight_.reset();
  flight_done_.notify_all();
  return outcome;
}

MonitorServer::~MonitorServer() {
  if (options_.tap != nullptr) options_.tap->Attach(nullptr);  // no callback runs after this
  server_.stop();
  check_thread_.request_stop();
  source_probe_thread_.request_stop();
  dest_probe_thread_.request_stop();
  sample_thread_.request_stop();
  source_watch_thread_.request_stop();
}

absl::Status MonitorServer::Start() {
  ASSIGN_OR_RETURN(const ListenAddress address, ParseListenAddress(options_.listen));
  Routes();
  if (address.port == 0) {
    port_ = server_.bind_to_any_port(address.host);
  } else if (server_.bind_to_port(address.host, address.port)) {
    port_ = address.port;
  }
  if (port_ <= 0) {
    return absl::UnavailableError(
        fmt::format("--monitor-listen {}: cannot listen there (address in use or not on this host)",
                    options_.listen));
  }
  http_thread_ = std::jthread([this] { server_.listen_after_bind(); });
  check_thread_ = std::jthread([this](std::stop_token stop) { PeriodicChecks(stop); });
  source_probe_thread_ = std::jthread([this](std::stop_token stop) {
    Every(options_.probe_interval, stop, [this] { ProbeSource(); });
  });
  dest_probe_thread_ = std::jthread([this](std::stop_token stop) {
    Every(options_.probe_interval, stop, [this] { ProbeDestination(); });
  });
  sample_thread_ = std::jthread([this](std::stop_token stop) {
    {
      // The first sample waits for the first probes' answers (a hung etcd: their deadline).
      std::unique_lock lock(observed_mutex_);
      probed_.wait_for(lock, stop, 2 * options_.probe_timeout + std::chrono::seconds(1),
                       [this] { return observed_.source_probed && observed_.dest_probed; });
    }
    Every(options_.history_interval, stop, [this] { Sample(); });
  });
  source_watch_thread_ = std::jthread([this](std::stop_token stop) { WatchSource(stop); });
  if (options_.tap != nullptr) options_.tap->Attach(this);
  spdlog::info(
      "etcd-sync-monitor listening on {} (/check, /metrics, /lag-history, /healthz, /readyz{})",
      ListenAddress{address.host, port_}.ToString(),
      options_.token.empty() ? "" : "; /check and /lag-history need the bearer token");
  return absl::OkStatus();
}

bool MonitorServer::Authorized(const httplib::Request& request, httplib::Response& response) const {
  if (options_.token.empty()) return true;
  if (BearerTokenMatches(request.get_header_value("Authorization"), options_.token)) return true;
  response.status = 401;
  response.set_header("WWW-Authenticate", "Bearer");
  response.set_content(
      "unauthorized: send \"Authorization: Bearer <token>\" with the token of "
      "--monitor-token-file\n",
      "text/plain");
  return false;
}

void MonitorServer::Routes() {
  server_.Get("/healthz", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("ok\n", "text/plain");
  });
  server_.Get("/readyz", [this](const httplib::Request&, httplib::Response& response) {
    const ScrapeTimeFacts facts = Facts();
    const double grace = static_cast<double>(options_.source_down_grace.count());
    if (facts.source_unreachable_seconds > grace || facts.dest_unreachable_seconds > grace) {
      const bool source = facts.source_unreachable_seconds > grace;
      response.status = 503;
      response.set_content(
          fmt::format("{} etcd unreachable for {:.0f} s (longer than --source-down-grace {} s)\n",
                      source ? "source" : "destination",
                      source ? facts.source_unreachable_seconds : facts.dest_unreachable_seconds,
                      options_.source_down_grace.count()),
          "text/plain");
      return;
    }
    // A replica that waits for the leader lease is ready to take over; only the leader
    // that is still copying is not ready (so rollouts of several replicas complete).
    if (stats_.initial_copy_done) {
      response.set_content("ready\n", "text/plain");
    } else if (!stats_.leader) {
      response.set_content("ready: standing by for the leader lease\n", "text/plain");
    } else {
      response.status = 503;
      response.set_content("initial copy in progress\n", "text/plain");
    }
  });
  server_.Get("/lag-history", [this](const httplib::Request& request, httplib::Response& response) {
    if (!Authorized(request, response)) return;
    response.set_content(history_.ToJson(static_cast<int>(options_.history_interval.count())),
                         "application/json");
  });
  server_.Get("/metrics", [this](const httplib::Request&, httplib::Response& response) {
    LastCheck last;
    {
      std::lock_guard lock(last_mutex_);
      last = last_;
    }
    response.set_content(RenderMetrics(stats_, Facts(), last, options_.build),
                         "text/plain; version=0.0.4; charset=utf-8");
  });
  server_.Get("/check", [this](const httplib::Request& request, httplib::Response& response) {
    if (!Authorized(request, response)) return;
    // Each /check holds an HTTP worker until its answer is sent: a bounded number may.
    std::shared_ptr<CheckTicket> ticket = AdmitCheck();
    if (ticket == nullptr) {
      response.status = 429;
      response.set_header("Retry-After", std::to_string(kCheckRetryAfterSeconds));
      response.set_content(
          fmt::format("too many /check requests in progress (at most {}): retry in {} s\n",
                      options_.max_check_requests, kCheckRetryAfterSeconds),
          "text/plain");
      return;
    }
    std::shared_ptr<const Outcome> outcome = SharedCheck();
    const absl::StatusOr<etcdsync::CheckReport>& report = outcome->report;
    if (!report.ok()) {
      response.status = 503;
      response.set_content(fmt::format("check failed: {}\n", report.status().message()),
                           "text/plain");
      return;
    }
    spdlog::info("/check: {} missed, {} surplus, {} stale (source revision {}, {:.2f}s)",
                 report->missed, report->surplus, report->stale, report->source_revision,
                 report->seconds);
    const bool json = WantsJson(request);
    response.set_chunked_content_provider(
        json ? "application/json" : "text/plain; charset=utf-8",
        [ticket, outcome, json](size_t, httplib::DataSink& sink) {
          auto write = [&sink](std::string_view chunk) {
            return sink.write(chunk.data(), chunk.size());
          };
          const SpooledCheckSink& spool = *outcome->spool;
          if (json ? spool.RenderJson(*outcome->report, write) : spool.RenderText(write)) {
            sink.done();
          }
          return true;
        });
  });
}

double MonitorServer::StaleAfter() const {
  return std::chrono::duration<double>(options_.probe_interval + options_.probe_timeout).count() +
         0.5;
}

ScrapeTimeFacts MonitorServer::Facts() {
  std::lock_guard lock(observed_mutex_);
  return FactsLocked(SteadyNow());
}

ScrapeTimeFacts MonitorServer::FactsLocked(double now) {
  ScrapeTimeFacts facts;
  const double stale_after = StaleAfter();
  facts.leader = stats_.leader;
  facts.source_up = observed_.source.Up(now, stale_after);
  facts.dest_up = observed_.dest.Up(now, stale_after);
  facts.source_unreachable_seconds = observed_.source.UnreachableFor(now, stale_after);
  facts.dest_unreachable_seconds = observed_.dest.UnreachableFor(now, stale_after);
  if (facts.leader) {
    facts.initial_copy_done = stats_.initial_copy_done;
    facts.applied_revision = stats_.applied_revision;
  } else if (observed_.checkpoint) {
    // A follower reports what the destination holds: the leader's checkpoint.
    facts.initial_copy_done = observed_.checkpoint->phase == etcdsync::Checkpoint::Phase::kLive;
    facts.applied_revision = facts.initial_copy_done ? observed_.checkpoint->revision : 0;
  }
  if (facts.source_up) facts.source_revision = observed_.source_revision;
  if (facts.source_up && facts.initial_copy_done && observed_.lag_events >= 0) {
    facts.lag_events =
        facts.applied_revision >= observed_.newest_pending ? 0 : observed_.lag_events;
  }
  // Lag rule: the largest of what each view can see (see ScrapeTimeFacts::lag_seconds).
  double lag = observed_.lag.LaggingFor(now, facts.applied_revision);
  if (facts.leader) {
    if (const int64_t pending = stats_.pending_since_ns.load(); pending > 0) {
      lag = std::max(lag, now - SteadySeconds(pending));
    }
    if (const int64_t applied = stats_.last_applied_ns.load(); applied > 0) {
      facts.seconds_since_last_applied_event = std::max(0.0, now - SteadySeconds(applied));
    }
  }
  facts.lag_seconds = std::max({lag, facts.source_unreachable_seconds, 0.0});
  return facts;
}

void MonitorServer::RecordProbe(std::string_view etcd_name, Reachability& reachability,
                                bool& probed, bool& reported_down, const absl::Status& answer,
                                double now) {
  const bool probed_before = probed;
  const double down_for = reachability.UnreachableFor(now, StaleAfter());
  reachability.Record(now, answer.ok());
  probed = true;
  probed_.notify_all();
  if (answer.ok()) {
    // Also after a probe that hung, then answered: nothing was logged while it hung.
    if (reported_down || (probed_before && down_for > 0)) {
      spdlog::info("{} etcd answers the monitor's probe again, after {:.0f} s without", etcd_name,
                   down_for);
    }
    reported_down = false;
  } else if (!reported_down) {
    spdlog::warn("{} etcd did not answer the monitor's probe: {}", etcd_name, answer.message());
    reported_down = true;
  }
}

void MonitorServer::ProbeSource() {
  // One key, usually absent: cheap on any etcd, and it needs no more than the read access
  // to the synced scope that replication needs anyway.
  etcd::pb::RangeRequest request;
  request.set_key(config_.prefix);
  auto response = source_.Range(request, options_.probe_timeout);
  const double now = SteadyNow();
  std::lock_guard lock(observed_mutex_);
  RecordProbe("source", observed_.source, observed_.source_probed, observed_.source_reported_down,
              response.status(), now);
  observed_.source_revision = response.ok() ? response->header().revision() : -1;
}

void MonitorServer::ProbeDestination() {
  // The checkpoint: proves the destination answers, and tells a follower what is applied.
  etcd::pb::RangeRequest request;
  request.set_key(config_.CheckpointKey());
  auto response = destination_.Range(request, options_.probe_timeout);
  const double now = SteadyNow();
  std::optional<etcdsync::Checkpoint> checkpoint;
  if (response.ok() && response->kvs_size() > 0) {
    auto decoded = etcdsync::DecodeCheckpoint(response->kvs(0).value());
    if (decoded.ok()) checkpoint = *std::move(decoded);
  }
  std::lock_guard lock(observed_mutex_);
  RecordProbe("destination", observed_.dest, observed_.dest_probed, observed_.dest_reported_down,
              response.status(), now);
  if (response.ok()) observed_.checkpoint = std::move(checkpoint);
}

void MonitorServer::Sample() {
  ScrapeTimeFacts before;
  bool covered = false;  // the monitor's watch saw every change after the applied revision
  int64_t lag_events = -1;
  int64_t newest_pending = 0;
  {
    std::lock_guard lock(observed_mutex_);
    before = FactsLocked(SteadyNow());
    covered = observed_.watching && before.applied_revision + 1 >= observed_.watch_start;
    if (covered) observed_.pending.Forget(before.applied_revision);
    // Nothing pending, yet the source moved past what the watch reported: the revisions
    // between were outside the scope's prefix, or are on their way; do not guess.
    if (covered && observed_.pending.keys() == 0 && observed_.watch_seen < before.source_revision) {
      covered = false;
    }
    if (covered) {
      lag_events = observed_.pending.keys();
      newest_pending = observed_.pending.newest_revision();
    }
  }
  const double scanned_at = SteadyNow();
  if (!before.source_up || !before.initial_copy_done) {
    lag_events = -1;
  } else if (before.source_revision <= before.applied_revision) {
    lag_events = 0;
  } else if (!covered) {
    // No watch covers the applied revision (it is being reopened, or the source compacted
    // the history it needs): count with a scan. etcd 3.4 ignores the limit of a Range with
    // min_mod_revision and reads every value of the scope (1M keys: ~600 MB), so this is
    // the exception, not the rule.
    etcd::pb::RangeRequest changed;
    changed.set_key(config_.prefix);
    changed.set_range_end(etcd::PrefixRangeEnd(config_.prefix));
    changed.set_keys_only(true);
    changed.set_limit(kLagScanLimit);
    changed.set_min_mod_revision(before.applied_revision + 1);
    auto response = source_.Range(changed, kLagScanTimeout);
    if (response.ok()) {
      lag_events = 0;
      for (const auto& kv : response->kvs()) {
        if (!filter_.Includes(kv.key())) continue;
        ++lag_events;
        newest_pending = std::max(newest_pending, kv.mod_revision());
      }
    }
  }
  ScrapeTimeFacts facts;
  {
    std::lock_guard lock(observed_mutex_);
    observed_.lag_events = lag_events;
    observed_.newest_pending = newest_pending;
    // The watch records when it sees each change; a scan only knows it now.
    if (!covered && lag_events > 0) observed_.lag.Pending(scanned_at, newest_pending);
    facts = FactsLocked(SteadyNow());
  }
  LagSample sample;
  sample.unix_seconds = static_cast<int64_t>(UnixNow());
  sample.lag_seconds = std::round(facts.lag_seconds * 1000) / 1000;
  sample.lag_events = facts.lag_events;
  sample.applied_revision = facts.applied_revision;
  sample.source_up = facts.source_up;
  sample.dest_up = facts.dest_up;
  sample.leader = facts.leader;
  history_.Add(sample);
}

void MonitorServer::WatchSource(std::stop_token stop) {
  int64_t compacted_start = 0;  // the applied revision was compacted: start after it
  bool reported = false;
  while (!stop.stop_requested()) {
    int64_t start = 0;
    int64_t closes = 0;  // the tap's closes so far: one more wakes the wait below
    std::stop_source own_stop;
    {
      std::lock_guard lock(observed_mutex_);
      closes = observed_.tap_closes;
      const ScrapeTimeFacts facts = FactsLocked(SteadyNow());
      if (!observed_.tap_open && facts.initial_copy_done && facts.source_up) {
        start = std::max(facts.applied_revision + 1, compacted_start);
        own_watch_stop_ = own_stop;  // the tap opening ends this watch
      }
    }
    if (start > 0) {
      std::stop_callback forward(stop, [&own_stop] { own_stop.request_stop(); });
      absl::Status ended = WatchSourceOnce(start, own_stop.get_token());
      {
        std::lock_guard lock(observed_mutex_);
        if (observed_.tap_open) {
          ended = absl::OkStatus();  // handed over to the replicator's watch: not a failure
        } else {
          EndWatchLocked();
        }
      }
      if (stop.stop_requested()) break;
      compacted_start = 0;
      if (absl::IsOutOfRange(ended)) {
        // The history after the applied revision is gone: follow from now on; the scan
        // counts what came before until the applied revision passes it.
        std::lock_guard lock(observed_mutex_);
        compacted_start = std::max<int64_t>(observed_.source_revision + 1, start);
      }
      if (!ended.ok() && !reported) {
        spdlog::info("the monitor's watch on the source ended ({}); reopening it", ended.message());
        reported = true;
      } else if (ended.ok()) {
        reported = false;
      }
    }
    std::unique_lock lock(observed_mutex_);
    watch_wake_.wait_for(lock, stop, options_.probe_interval,
                         [&] { return observed_.tap_closes != closes; });
  }
}

absl::Status MonitorServer::WatchSourceOnce(int64_t start, std::stop_token stop) {
  etcd::pb::WatchCreateRequest create;
  create.set_key(config_.prefix);
  create.set_range_end(etcd::PrefixRangeEnd(config_.prefix));
  create.set_start_revision(start);
  ASSIGN_OR_RETURN(std::unique_ptr<etcd::WatchStream> watch,
                   etcd::WatchStream::Open(source_, create, stop));
  {
    std::lock_guard lock(observed_mutex_);
    if (observed_.tap_open) return absl::OkStatus();
    BeginWatchLocked(start);
  }
  std::stop_callback cancel(stop, [&watch] { watch->Cancel(); });
  while (!stop.stop_requested()) {
    absl::StatusOr<etcd::pb::WatchResponse> response = watch->Next();
    if (!response.ok()) return response.status();
    const double now = SteadyNow();
    std::lock_guard lock(observed_mutex_);
    if (observed_.tap_open) return absl::OkStatus();  // the replicator's watch took over
    // The applied revision went back (a new leader, a restored checkpoint): the watch no
    // longer covers it; start again from there.
    if (!ObserveLocked(*response, start, now)) return absl::OkStatus();
  }
  return absl::OkStatus();
}

void MonitorServer::BeginWatchLocked(int64_t start) {
  observed_.pending.Clear();
  observed_.watching = true;
  observed_.watch_start = start;
  observed_.watch_seen = start - 1;
}

void MonitorServer::EndWatchLocked() {
  observed_.watching = false;
  observed_.pending.Clear();
}

bool MonitorServer::ObserveLocked(const etcd::pb::WatchResponse& response, int64_t start,
                                  double now) {
  observed_.watch_seen = std::max(observed_.watch_seen, response.header().revision());
  if (response.events_size() == 0) return true;
  const ScrapeTimeFacts facts = FactsLocked(now);
  if (facts.applied_revision + 1 < start) return false;
  int64_t newest = 0;
  for (const auto& event : response.events()) {
    if (!filter_.Includes(event.kv().key())) continue;
    const int64_t revision =
        event.kv().mod_revision() > 0 ? event.kv().mod_revision() : response.header().revision();
    observed_.pending.Record(event.kv().key(), revision);
    newest = std::max(newest, revision);
  }
  observed_.pending.Forget(facts.applied_revision);
  if (newest > facts.applied_revision) observed_.lag.Pending(now, newest);
  return true;
}

void MonitorServer::TapOpened(int64_t start_revision) {
  std::lock_guard lock(observed_mutex_);
  observed_.tap_open = true;
  BeginWatchLocked(start_revision);
  own_watch_stop_.request_stop();  // cancels the call only: returns at once
}

void MonitorServer::TapDelivered(const etcd::pb::WatchResponse& response) {
  const double now = SteadyNow();
  std::lock_guard lock(observed_mutex_);
  if (!observed_.tap_open || !observed_.watching) return;
  // The applied revision cannot go back under a running replicator; if it ever did, stop
  // counting from the tap (Sample scans) until it opens again.
  if (!ObserveLocked(response, observed_.watch_start, now)) EndWatchLocked();
}

void MonitorServer::TapClosed() {
  std::lock_guard lock(observed_mutex_);
  observed_.tap_open = false;
  ++observed_.tap_closes;
  EndWatchLocked();
  watch_wake_.notify_all();
}

void MonitorServer::Every(std::chrono::milliseconds interval, std::stop_token stop,
                          const std::function<void()>& step) {
  std::mutex mutex;
  std::condition_variable_any wake;
  while (!stop.stop_requested()) {
    step();
    std::unique_lock lock(mutex);
    wake.wait_for(lock, stop, interval, [] { return false; });
  }
}

void MonitorServer::PeriodicChecks(std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any wake;
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(mutex);
      if (wake.wait_for(lock, stop, options_.check_interval, [] { return false; })) break;
      if (stop.stop_requested()) break;
    }
    if (!stats_.initial_copy_done) continue;
    std::shared_ptr<const Outcome> outcome = SharedCheck(/*periodic=*/true);
    const absl::StatusOr<etcdsync::CheckReport>& report = outcome->report;
    std::lock_guard lock(last_mutex_);
    if (report.ok()) {
      last_.report = *report;
      last_.finished_unix_seconds = UnixNow();
      if (report->missed + report->surplus + report->stale > 0) {
        spdlog::warn(
            "periodic check: {} missed, {} surplus, {} stale keys (GET /check lists "
            "them)",
            report->missed, report->surplus, report->stale);
      }
    } else {
      ++last_.failures;
      spdlog::warn("periodic check failed: {}", report.status().message());
    }
  }
}

}  // namespace monitor
