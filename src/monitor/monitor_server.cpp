#include "monitor/monitor_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>

#include "common/absl_fmt.h"
#include "etcd/endpoint.h"
#include "etcd/key_range.h"
#include "monitor/spooled_check_sink.h"
#include "sync/consistency_check.h"

namespace monitor {
namespace {

// Counts no more than this many changed keys when computing lag in events.
constexpr int kLagScanLimit = 100000;

// How long a refused /check caller is asked to wait before retrying.
constexpr int kCheckRetryAfterSeconds = 10;

bool WantsJson(const httplib::Request& request) {
  if (request.get_param_value("format") == "json") return true;
  return request.get_header_value("Accept").find("application/json") != std::string::npos;
}

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

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
              options_.request_read_deadline) {
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

MonitorServer::Outcome MonitorServer::RunCheck() {
  Outcome outcome;
  try {
    outcome.spool = std::make_shared<SpooledCheckSink>();
    outcome.report = options_.check(*outcome.spool);
  } catch (const std::exception& e) {
    outcome.report = absl::InternalError(e.what());
  }
  return outcome;
}

std::shared_ptr<const MonitorServer::Outcome> MonitorServer::SharedCheck() {
  std::unique_lock lock(flight_mutex_);
  if (std::shared_ptr<Flight> flight = flight_) {
    ++flight->waiters;
    flight_done_.wait(lock, [&] { return flight->done; });
    return flight->outcome;
  }
  auto flight = std::make_shared<Flight>();
  flight->waiters = 1;
  flight_ = flight;
  lock.unlock();
  auto outcome = std::make_shared<const Outcome>(RunCheck());
  lock.lock();
  flight->outcome = outcome;
  flight->done = true;
  flight_.reset();
  flight_done_.notify_all();
  return outcome;
}

MonitorServer::~MonitorServer() {
  server_.stop();
  check_thread_.request_stop();
}

absl::Status MonitorServer::Start() {
  auto address = etcd::ParseEndpoint(options_.listen, /*allow_port_zero=*/true);
  if (!address.ok() || address->scheme != etcd::Endpoint::Scheme::kUnspecified) {
    return absl::InvalidArgumentError(
        fmt::format("--monitor-listen {}: expected host:port, e.g. 0.0.0.0:8080 or [::]:8080",
                    options_.listen));
  }
  Routes();
  if (address->port == 0) {
    port_ = server_.bind_to_any_port(address->host);
  } else if (server_.bind_to_port(address->host, address->port)) {
    port_ = address->port;
  }
  if (port_ <= 0) {
    return absl::UnavailableError(
        fmt::format("--monitor-listen {}: cannot listen there (address in use or not on this host)",
                    options_.listen));
  }
  http_thread_ = std::jthread([this] { server_.listen_after_bind(); });
  check_thread_ = std::jthread([this](std::stop_token stop) { PeriodicChecks(stop); });
  spdlog::info("etcd-sync-monitor listening on {}:{} (/check, /metrics, /healthz, /readyz)",
               address->host, port_);
  return absl::OkStatus();
}

void MonitorServer::Routes() {
  server_.Get("/healthz", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("ok\n", "text/plain");
  });
  server_.Get("/readyz", [this](const httplib::Request&, httplib::Response& response) {
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
  server_.Get("/metrics", [this](const httplib::Request&, httplib::Response& response) {
    LastCheck last;
    {
      std::lock_guard lock(last_mutex_);
      last = last_;
    }
    response.set_content(RenderMetrics(stats_, Facts(), last),
                         "text/plain; version=0.0.4; charset=utf-8");
  });
  server_.Get("/check", [this](const httplib::Request& request, httplib::Response& response) {
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

ScrapeTimeFacts MonitorServer::Facts() {
  ScrapeTimeFacts facts;
  const int64_t applied = stats_.applied_revision.load();
  etcd::pb::RangeRequest changed;
  changed.set_key(config_.prefix);
  changed.set_range_end(etcd::PrefixRangeEnd(config_.prefix));
  changed.set_keys_only(true);
  changed.set_limit(kLagScanLimit);
  changed.set_min_mod_revision(applied + 1);
  auto response = source_.Range(changed);
  if (response.ok()) {
    facts.source_revision = response->header().revision();
    if (stats_.initial_copy_done) {
      int64_t lag = 0;
      for (const auto& kv : response->kvs()) lag += filter_.Includes(kv.key()) ? 1 : 0;
      facts.lag_events = lag;
    }
  }
  const int64_t pending = stats_.pending_since_ns.load();
  if (pending > 0) {
    facts.lag_seconds =
        static_cast<double>(std::chrono::steady_clock::now().time_since_epoch().count() - pending) /
        1e9;
  }
  return facts;
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
    std::shared_ptr<const Outcome> outcome = SharedCheck();
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
