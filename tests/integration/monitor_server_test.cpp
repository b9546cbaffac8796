// etcd-sync-monitor under hostile load: concurrent /check requests share one check and are
// capped, slow-header connections are cut at the request deadline, and /healthz keeps
// answering meanwhile. The check itself is injected (it blocks until the test lets it go).
#include "monitor/monitor_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <future>
#include <optional>
#include <thread>
#include <vector>

#include "etcd/key_range.h"
#include "etcd/watch_stream.h"
#include "support/etcd_member.h"
#include "support/monitor_scrape.h"
#include "support/temp_dir.h"
#include "sync/checkpoint.h"
#include "sync/reconciler.h"
#include "sync/sync_rules.h"
#include "sync/watch_tap.h"

namespace {

using namespace std::chrono_literals;
using testing_support::EtcdMember;
using testing_support::TempDir;

// A check that blocks until Release(), counting how often it ran.
class BlockingCheck {
 public:
  monitor::CheckFunction Function() {
    return [this](etcdsync::CheckSink& sink) -> absl::StatusOr<etcdsync::CheckReport> {
      ++runs_;
      released_.wait();
      sink.Missed("/registry/pods/default/missing");
      etcdsync::CheckReport report;
      report.missed = 1;
      return report;
    };
  }
  void Release() {
    if (!done_.exchange(true)) release_.set_value();
  }
  int runs() const { return runs_; }

 private:
  std::atomic<int> runs_{0};
  std::atomic<bool> done_{false};
  std::promise<void> release_;
  std::shared_future<void> released_{release_.get_future().share()};
};

// A raw connection to the monitor that sends part of a request's headers.
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    timeval bound{10, 0};  // the test's own bound on waiting for the server
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof(bound));
  }
  ~RawConnection() { ::close(fd_); }
  bool connected() const { return connected_; }
  bool Send(std::string_view bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  // True once the server closed the connection (without answering anything).
  bool ClosedByServer() {
    char byte;
    return ::recv(fd_, &byte, 1, 0) == 0;
  }

 private:
  int fd_;
  bool connected_ = false;
};

class MonitorServerTest : public ::testing::Test {
 protected:
  // With `blocking_check` false, checks run for real (through options.reconciler when set).
  monitor::MonitorServer* Start(monitor::MonitorOptions options, bool blocking_check = true) {
    options.listen = "127.0.0.1:0";
    if (blocking_check) options.check = check_.Function();
    server_ = std::make_unique<monitor::MonitorServer>(options, config_, etcd_.client(),
                                                       etcd_.client(), filter_, stats_);
    EXPECT_TRUE(server_->Start().ok());
    return server_.get();
  }

  // A GET that gives up after `timeout`: status 0 when nothing came back in time.
  static httplib::Result Get(int port, const std::string& path, std::chrono::seconds timeout) {
    httplib::Client client("127.0.0.1", port);
    client.set_connection_timeout(timeout);
    client.set_read_timeout(timeout);
    return client.Get(path);
  }

  // Puts `key` into the source; its revision (0 when the Put failed).
  int64_t Put(const std::string& key) {
    etcd::pb::PutRequest request;
    request.set_key(key);
    request.set_value("v");
    auto response = etcd_.client().Put(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? response->header().revision() : 0;
  }

  // One metric of the Prometheus text at `base_url`/metrics, absent when unreachable.
  static std::optional<double> ScrapeMetric(const std::string& base_url, const std::string& name) {
    httplib::Client client(base_url);
    client.set_connection_timeout(10s);
    client.set_read_timeout(10s);
    auto response = client.Get("/metrics");
    return response ? testing_support::Metric(response->body, name) : std::optional<double>();
  }

  // Waits until `read` gives `expected`: up to 20 s on a loaded machine (the monitor samples
  // every second in these tests).
  static bool Settles(const std::string& what, const std::function<std::optional<double>()>& read,
                      double expected) {
    std::optional<double> seen;
    for (int i = 0; i < 200; ++i) {
      seen = read();
      if (seen == expected) return true;
      std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << what << " " << (seen ? std::to_string(*seen) : "absent") << ", expected "
                  << expected;
    return false;
  }

  // The blocked check is let go first, so that the server can stop.
  ~MonitorServerTest() override { check_.Release(); }

  TempDir dir_;
  EtcdMember etcd_{dir_.path(), "monitor"};
  etcdsync::SyncConfig config_;
  etcdsync::KubernetesKeyFilter filter_{config_.prefix, etcdsync::DefaultSyncRules()};
  etcdsync::SyncStats stats_;
  BlockingCheck check_;
  std::unique_ptr<monitor::MonitorServer> server_;
};

// Lets the check go when a test ends early, before the waiting requests are joined.
struct ReleaseOnExit {
  BlockingCheck& check;
  ~ReleaseOnExit() { check.Release(); }
};

TEST_F(MonitorServerTest, HealthAnswersWhileChecksWaitAndSlowClientsStall) {
  monitor::MonitorOptions options;
  auto* server = Start(options);
  const int port = server->port();
  const int callers = options.max_check_requests;

  // As many /check requests as may wait: they all wait for one (blocked) check.
  std::vector<std::future<httplib::Result>> checks;
  ReleaseOnExit release{check_};
  for (int i = 0; i < callers; ++i) {
    checks.push_back(std::async(std::launch::async, [port] { return Get(port, "/check", 60s); }));
  }
  for (int i = 0; i < 200 && server->check_waiters() < callers; ++i) {
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(server->check_waiters(), callers);

  // One more is refused at once, with Retry-After.
  auto refused = Get(port, "/check", 5s);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429);
  EXPECT_EQ(refused->get_header_value("Retry-After"), "10");
  EXPECT_NE(refused->body.find("too many /check requests"), std::string::npos) << refused->body;

  // Clients that never finish their headers.
  std::vector<std::unique_ptr<RawConnection>> stalled;
  for (int i = 0; i < 12; ++i) {
    stalled.push_back(std::make_unique<RawConnection>(port));
    ASSERT_TRUE(stalled.back()->connected());
    ASSERT_TRUE(stalled.back()->Send("GET /healthz HTTP/1.1\r\nHo"));
  }

  for (const char* path : {"/healthz", "/readyz", "/metrics"}) {
    auto answer = Get(port, path, 2s);
    ASSERT_TRUE(answer) << path << " did not answer within 2 s while /check waits";
    EXPECT_NE(answer->status, 429) << path;
  }
  EXPECT_EQ(Get(port, "/healthz", 2s)->status, 200);

  check_.Release();
  for (auto& check : checks) {
    auto result = check.get();
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 200);
    EXPECT_NE(result->body.find("/registry/pods/default/missing"), std::string::npos)
        << result->body;
  }
  EXPECT_EQ(check_.runs(), 1) << "concurrent /check callers must share one check";
}

TEST_F(MonitorServerTest, ConnectionThatTricklesItsHeadersIsCutAtTheDeadline) {
  monitor::MonitorOptions options;
  options.request_read_deadline = 500ms;
  auto* server = Start(options);
  RawConnection slow(server->port());
  ASSERT_TRUE(slow.connected());
  // A byte every 100 ms keeps any per-read timeout happy; only a deadline stops it.
  std::atomic<bool> stop{false};
  std::jthread trickle([&] {
    const std::string request = "GET /healthz HTTP/1.1\r\nX-Slow: " + std::string(200, 'a');
    for (char byte : request) {
      if (stop || !slow.Send(std::string_view(&byte, 1))) return;
      std::this_thread::sleep_for(100ms);
    }
  });
  EXPECT_TRUE(slow.ClosedByServer());
  stop = true;
}

TEST_F(MonitorServerTest, CheckAfterASharedCheckRunsAFreshOne) {
  auto* server = Start({});
  check_.Release();
  auto first = Get(server->port(), "/check?format=json", 10s);
  auto second = Get(server->port(), "/check", 10s);
  ASSERT_TRUE(first);
  ASSERT_TRUE(second);
  EXPECT_EQ(first->status, 200);
  EXPECT_NE(first->body.find("\"missed\":{\"count\":1"), std::string::npos) << first->body;
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(check_.runs(), 2);
}

// etcd_sync_lag_events comes from the monitor's own watch on the source from the applied
// revision + 1 (O(changes), no scan of the scope): distinct in-scope keys changed after
// the applied revision, deletes included (a scan with min_mod_revision cannot see them),
// excluded and out-of-prefix keys left out, and what the applied revision covers dropped.
TEST_F(MonitorServerTest, LagEventsCountTheChangesTheAppliedRevisionDoesNotCover) {
  etcd::Client& source = etcd_.client();
  Put("/registry/configmaps/team-a/kept");
  const int64_t start = Put("/registry/configmaps/team-a/deleted");
  stats_.leader = true;
  stats_.initial_copy_done = true;
  stats_.applied_revision = start;

  monitor::MonitorOptions options;
  options.history_interval = 1s;
  options.probe_interval = 200ms;
  auto* server = Start(options);
  const std::string monitor_url = "http://127.0.0.1:" + std::to_string(server->port());
  auto settles_at = [&](double expected) {
    return Settles(
        "etcd_sync_lag_events", [&] { return ScrapeMetric(monitor_url, "etcd_sync_lag_events"); },
        expected);
  };
  ASSERT_TRUE(settles_at(0));

  Put("/registry/configmaps/team-a/kept");
  const int64_t kept = Put("/registry/configmaps/team-a/kept");  // twice: one key
  etcd::pb::DeleteRangeRequest deletion;
  deletion.set_key("/registry/configmaps/team-a/deleted");
  auto deleted = source.DeleteRange(deletion);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  Put("/registry/events/team-a/excluded");  // events are not synced
  const int64_t last = Put("/elsewhere/outside-the-prefix");
  EXPECT_TRUE(settles_at(2));

  stats_.applied_revision = kept;  // the deletion is still pending
  EXPECT_TRUE(settles_at(1));
  stats_.applied_revision = last;
  EXPECT_TRUE(settles_at(0));
}

// The leader's monitor takes the source's changes from the replicator's watch while it is
// lent through the tap, and holds no watch of its own on the source (which would make the
// source send, and the link between the sites carry, every change twice); when the tap
// closes, the monitor watches the source itself again. The test plays the replicator: a
// watch from the applied revision + 1 whose responses go through the tap.
TEST_F(MonitorServerTest, LeaderMonitorCountsLagFromTheReplicatorsWatchAndHoldsNoWatchOfItsOwn) {
  etcd::Client& source = etcd_.client();
  const int64_t start = Put("/registry/configmaps/team-a/kept");
  stats_.leader = true;
  stats_.initial_copy_done = true;
  stats_.applied_revision = start;

  etcdsync::WatchTap tap;
  monitor::MonitorOptions options;
  options.history_interval = 1s;
  options.probe_interval = 200ms;
  options.tap = &tap;
  auto* server = Start(options);
  const std::string monitor_url = "http://127.0.0.1:" + std::to_string(server->port());
  auto lag_events = [&] { return ScrapeMetric(monitor_url, "etcd_sync_lag_events"); };
  auto source_watchers = [&] {
    return ScrapeMetric(etcd_.url(), "etcd_debugging_mvcc_watcher_total");
  };
  ASSERT_TRUE(Settles("source watchers", source_watchers, 1));  // the monitor's own
  ASSERT_TRUE(Settles("etcd_sync_lag_events", lag_events, 0));

  // The replicator's watch opens: both watch the source until the tap opens.
  etcd::pb::WatchCreateRequest create;
  create.set_key(config_.prefix);
  create.set_range_end(etcd::PrefixRangeEnd(config_.prefix));
  create.set_start_revision(start + 1);
  auto watch = etcd::WatchStream::Open(source, create);
  ASSERT_TRUE(watch.ok()) << watch.status();
  ASSERT_TRUE(Settles("source watchers", source_watchers, 2));
  tap.Open(start + 1);
  std::jthread reader([&](std::stop_token stop) {
    std::stop_callback cancel(stop, [&] { (*watch)->Cancel(); });
    while (true) {
      auto response = (*watch)->Next();
      if (!response.ok()) return;
      tap.Deliver(*response);
    }
  });
  EXPECT_TRUE(Settles("source watchers", source_watchers, 1));  // only the replicator's

  Put("/registry/configmaps/team-a/kept");
  const int64_t kept = Put("/registry/configmaps/team-a/kept");  // twice: one key
  Put("/registry/events/team-a/excluded");                       // events are not synced
  const int64_t last = Put("/registry/configmaps/team-a/second");
  EXPECT_TRUE(Settles("etcd_sync_lag_events", lag_events, 2));
  stats_.applied_revision = kept;
  EXPECT_TRUE(Settles("etcd_sync_lag_events", lag_events, 1));
  EXPECT_TRUE(Settles("source watchers", source_watchers, 1));

  // The replicator stops: the tap closes and the monitor watches the source again, from
  // the applied revision + 1.
  reader.request_stop();
  reader.join();
  tap.Close();
  watch->reset();
  EXPECT_TRUE(Settles("source watchers", source_watchers, 1));  // the monitor's own again
  Put("/registry/configmaps/team-a/third");
  EXPECT_TRUE(Settles("etcd_sync_lag_events", lag_events, 2));
  stats_.applied_revision = last + 1;
  EXPECT_TRUE(Settles("etcd_sync_lag_events", lag_events, 0));
}

// A GET /check that finds the periodic check running joins it (one scan), and the periodic
// check, paced to spare the link between the sites, reads the rest at full speed: an operator
// waiting on /check before a failover does not wait for the pacing. Counted on the source:
// paced to 1 byte a page, every Range reads one key.
TEST_F(MonitorServerTest, ACheckThatJoinsThePeriodicCheckEndsItsPacing) {
  constexpr int kKeys = 3000;
  for (int first = 0; first < kKeys; first += 100) {
    etcd::pb::TxnRequest txn;
    for (int i = first; i < first + 100; ++i) {
      auto* put = txn.add_success()->mutable_request_put();
      put->set_key("/registry/configmaps/team-a/cm-" + std::to_string(10000 + i));
      put->set_value(std::string(100, 'v'));
    }
    ASSERT_TRUE(etcd_.client().Txn(txn).ok());
  }
  etcdsync::Checkpoint live;
  live.phase = etcdsync::Checkpoint::Phase::kLive;
  live.revision = Put("/registry/configmaps/team-a/last");
  etcd::pb::PutRequest checkpoint;
  checkpoint.set_key(config_.CheckpointKey());
  checkpoint.set_value(etcdsync::EncodeCheckpoint(live));
  ASSERT_TRUE(etcd_.client().Put(checkpoint).ok());
  stats_.initial_copy_done = true;

  etcdsync::Reconciler reconciler(config_, etcd_.client(), etcd_.client(), filter_, stats_, 3,
                                  /*periodic_page_bytes=*/1);
  monitor::MonitorOptions options;
  options.check_interval = 1s;
  options.reconciler = &reconciler;
  const int64_t before = testing_support::EtcdRangeCalls(etcd_.url());
  auto* server = Start(options, /*blocking_check=*/false);
  for (int i = 0; i < 3000 && server->check_waiters() == 0; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(server->check_waiters(), 1) << "the periodic check did not start";
  auto check = Get(server->port(), "/check", 120s);
  const int64_t calls = testing_support::EtcdRangeCalls(etcd_.url()) - before;
  ASSERT_TRUE(check) << "no answer";
  EXPECT_EQ(check->status, 200) << check->body;
  EXPECT_NE(check->body.find("LOCAL ETCD missed keys:\nLOCAL ETCD surplus keys:"),
            std::string::npos)
      << check->body;
  // Paced to the end it would take more than kKeys Ranges; joined, the rest is a few pages.
  EXPECT_LT(calls, kKeys / 2) << "the periodic check stayed paced after GET /check joined it";
  EXPECT_GT(calls, 1);
}

}  // namespace
