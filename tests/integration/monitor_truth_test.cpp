// etcd-sync-monitor tells the truth (issue 15): a frozen source etcd (SIGSTOP: connections
// hang, nothing is refused) shows as etcd_sync_source_up 0, growing lag and a failing
// /readyz within the grace, and recovery after SIGCONT; a follower reports the applied
// revision from the destination's checkpoint and answers /check; a bearer token guards the
// endpoints that list keys; /lag-history serves samples; the monitor listens on IPv6.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "etcd/key_range.h"
#include "etcd_sync_fixture.h"
#include "support/http_get.h"
#include "support/monitor_scrape.h"
#include "sync/checkpoint.h"

namespace testing_support {
namespace {

using namespace std::chrono_literals;

using Answer = HttpResponse;

// A GET with an optional Authorization header (IPv6 URLs in brackets), never long.
HttpResponse Fetch(const std::string& url, const std::string& authorization = "") {
  return HttpGet(url, "", authorization, 10);
}

// `promtool check metrics` on a /metrics body, when promtool is installed.
void ExpectPromtoolAccepts(const std::string& body, const std::string& scratch) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    std::cout << "promtool not installed (package prometheus): /metrics lint skipped\n";
    return;
  }
  std::ofstream(scratch) << body;
  std::string output;
  try {
    output = RunScript("promtool check metrics < '" + scratch + "'");
  } catch (const std::exception& e) {
    ADD_FAILURE() << "promtool check metrics refused /metrics:\n" << e.what() << "\n" << body;
  }
}

// Keeps a SIGSTOPped etcd from staying frozen when a test fails half-way.
class Frozen {
 public:
  explicit Frozen(pid_t pid) : pid_(pid) { ::kill(pid_, SIGSTOP); }
  ~Frozen() { Thaw(); }
  void Thaw() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
    pid_ = -1;
  }

 private:
  pid_t pid_;
};

class MonitorTruthTest : public EtcdSyncTest {
 protected:
  pid_t PrimaryPid() {
    std::ifstream in(dir_.File("primary.pid"));
    pid_t pid = 0;
    in >> pid;
    return pid;
  }

  std::vector<std::string> Args(const std::string& listen, std::vector<std::string> extra = {}) {
    return SyncArgv(extra, listen);
  }
};

TEST_F(MonitorTruthTest, FrozenSourceIsReportedWithinTheGraceAndRecovers) {
  Load(50);
  ChildProcess sync(Args("127.0.0.1:0", {"--source-down-grace", "3"}), dir_.File("sync.log"));
  ASSERT_TRUE(sync.WaitForLog("Start Sync update", 30s)) << sync.Log();
  const std::string base = MonitorBase(sync);
  ASSERT_TRUE(WaitUntil(
      [&] { return Metric(Fetch(base + "/metrics").body, "etcd_sync_source_up") == 1; }, 10s));
  EXPECT_EQ(Fetch(base + "/readyz").status, 200);
  ExpectPromtoolAccepts(Fetch(base + "/metrics").body, dir_.File("metrics-up.txt"));
  // Which build serves the metrics: the version and commit of etcd-sync --version.
  const std::string body = Fetch(base + "/metrics").body;
  EXPECT_TRUE(std::regex_search(
      body, std::regex(R"re(\netcd_sync_build_info\{version="[0-9]+\.[0-9]+\.[0-9]+",)re"
                       R"re(commit="([0-9a-f]{40}|unknown)"\} 1\n)re")))
      << body;

  Frozen frozen(PrimaryPid());
  // Down within the grace plus one probe (interval + deadline); the scrape itself must not
  // hang on the frozen etcd.
  std::string metrics;
  Answer ready;
  const bool reported = WaitUntil(
      [&] {
        metrics = Fetch(base + "/metrics").body;
        ready = Fetch(base + "/readyz");
        return Metric(metrics, "etcd_sync_source_up") == 0 && ready.status == 503;
      },
      15s);
  ASSERT_TRUE(reported) << metrics << "\n/readyz " << ready.status << " " << ready.body
                        << sync.Log();
  EXPECT_NE(ready.body.find("source etcd unreachable for"), std::string::npos) << ready.body;
  EXPECT_EQ(std::count(ready.body.begin(), ready.body.end(), '\n'), 1) << ready.body;
  EXPECT_GT(Metric(metrics, "etcd_sync_lag_seconds").value_or(0), 3) << metrics;
  EXPECT_EQ(Metric(metrics, "etcd_sync_leader"), 1) << metrics;
  ExpectPromtoolAccepts(metrics, dir_.File("metrics-down.txt"));

  frozen.Thaw();
  ASSERT_TRUE(WaitUntil(
      [&] {
        metrics = Fetch(base + "/metrics").body;
        return Metric(metrics, "etcd_sync_source_up") == 1 && Fetch(base + "/readyz").status == 200;
      },
      15s))
      << metrics << sync.Log();
  Put(primary_->client(), "/registry/configmaps/team-01/after-thaw", "x");
  EXPECT_TRUE(WaitUntil(
      [&] {
        return Get(standby_->client(), "/registry/configmaps/team-01/after-thaw").has_value();
      },
      20s));
  EXPECT_TRUE(WaitUntil(
      [&] {
        metrics = Fetch(base + "/metrics").body;
        return Metric(metrics, "etcd_sync_lag_seconds").value_or(99) < 3 &&
               Metric(metrics, "etcd_sync_apply_duration_seconds_count").value_or(0) >= 1 &&
               Metric(metrics, "etcd_sync_seconds_since_last_applied_event").has_value();
      },
      15s))
      << metrics;
  EXPECT_NE(sync.Log().find("source etcd answers the monitor's probe again, after"),
            std::string::npos)
      << sync.Log();
}

TEST_F(MonitorTruthTest, FollowerReportsTheCheckpointAndAnswersCheck) {
  Load(100);
  ChildProcess leader(Args("127.0.0.1:0"), dir_.File("leader.log"));
  ASSERT_TRUE(leader.WaitForLog("Start Sync update", 30s)) << leader.Log();
  ChildProcess follower(Args("127.0.0.1:0"), dir_.File("follower.log"));
  const std::string base = MonitorBase(follower);
  ASSERT_TRUE(follower.WaitForLog("campaigning for leadership", 20s)) << follower.Log();
  for (int i = 0; i < 5; ++i) {
    Put(primary_->client(), "/registry/configmaps/team-01/follower-" + std::to_string(i), "v");
  }
  const int64_t written = Revision(primary_->client());

  std::string metrics;
  int64_t checkpoint_revision = -1;
  const bool caught_up = WaitUntil(
      [&] {
        const auto stored = Get(standby_->client(), "/etcd-sync/checkpoint");
        if (!stored) return false;
        auto checkpoint = etcdsync::DecodeCheckpoint(*stored);
        if (!checkpoint.ok()) return false;
        checkpoint_revision = checkpoint->revision;
        metrics = Fetch(base + "/metrics").body;
        return checkpoint_revision >= written &&
               Metric(metrics, "etcd_sync_applied_revision") == checkpoint_revision &&
               Metric(metrics, "etcd_sync_lag_events") == 0;
      },
      20s);
  ASSERT_TRUE(caught_up) << "checkpoint " << checkpoint_revision << "\n" << metrics;
  EXPECT_EQ(Metric(metrics, "etcd_sync_leader"), 0) << metrics;
  EXPECT_EQ(Metric(metrics, "etcd_sync_initial_copy_done"), 1) << metrics;
  EXPECT_EQ(Metric(metrics, "etcd_sync_source_up"), 1) << metrics;
  EXPECT_EQ(Metric(metrics, "etcd_sync_dest_up"), 1) << metrics;
  EXPECT_LT(Metric(metrics, "etcd_sync_lag_seconds").value_or(99), 1) << metrics;
  EXPECT_EQ(Metric(metrics, "etcd_sync_seconds_since_last_applied_event"), std::nullopt);
  ExpectPromtoolAccepts(metrics, dir_.File("metrics-follower.txt"));

  EXPECT_EQ(Fetch(base + "/readyz").status, 200);
  Put(standby_->client(), "/registry/configmaps/team-01/only-on-standby", "x");
  const Answer check = Fetch(base + "/check");
  EXPECT_EQ(check.status, 200) << check.body;
  EXPECT_NE(
      check.body.find("LOCAL ETCD surplus keys:\n/registry/configmaps/team-01/only-on-standby"),
      std::string::npos)
      << check.body;
  const Answer history = Fetch(base + "/lag-history");
  ASSERT_EQ(history.status, 200) << history.body;
  const auto json = nlohmann::json::parse(history.body);
  ASSERT_FALSE(json["samples"].empty()) << history.body;
  EXPECT_EQ(json["samples"].back()["leader"], false) << history.body;
}

TEST_F(MonitorTruthTest, BearerTokenGuardsTheEndpointsThatListKeys) {
  const std::string token = "t0ken-" + std::to_string(::getpid());
  std::ofstream(dir_.File("token")) << token << "\n";
  ChildProcess sync(Args("127.0.0.1:0", {"--monitor-token-file", dir_.File("token")}),
                    dir_.File("sync.log"));
  ASSERT_TRUE(sync.WaitForLog("Start Sync update", 30s)) << sync.Log();
  const std::string base = MonitorBase(sync);
  for (const char* path : {"/check", "/lag-history"}) {
    for (const std::string& authorization :
         std::vector<std::string>{"", "Bearer wrong", "Bearer " + token + "x", token}) {
      const Answer refused = Fetch(base + path, authorization);
      EXPECT_EQ(refused.status, 401) << path << " with \"" << authorization << "\"";
      EXPECT_EQ(std::count(refused.body.begin(), refused.body.end(), '\n'), 1) << refused.body;
      EXPECT_EQ(refused.body.find(token), std::string::npos);
    }
  }
  EXPECT_EQ(Fetch(base + "/check", "Bearer " + token).status, 200);
  const Answer history = Fetch(base + "/lag-history", "Bearer " + token);
  ASSERT_EQ(history.status, 200) << history.body;
  const auto json = nlohmann::json::parse(history.body);
  EXPECT_EQ(json["interval_seconds"], 5);
  ASSERT_FALSE(json["samples"].empty()) << history.body;
  for (const char* field :
       {"t", "lag_seconds", "lag_events", "applied_revision", "source_up", "dest_up", "leader"}) {
    EXPECT_TRUE(json["samples"][0].contains(field)) << field << " in " << history.body;
  }
  EXPECT_EQ(json["samples"].back()["source_up"], true) << history.body;
  for (const char* path : {"/healthz", "/readyz", "/metrics"}) {
    EXPECT_EQ(Fetch(base + path).status, 200) << path;
  }
  EXPECT_EQ(sync.Log().find(token), std::string::npos) << sync.Log();

  std::ofstream(dir_.File("empty-token"));
  ChildProcess empty(Args("127.0.0.1:0", {"--monitor-token-file", dir_.File("empty-token")}),
                     dir_.File("empty.log"));
  EXPECT_EQ(empty.WaitExit(20s), 2) << empty.Log();
  EXPECT_NE(empty.Log().find("--monitor-token-file"), std::string::npos) << empty.Log();
}

TEST_F(MonitorTruthTest, ReopenedWatchIsCounted) {
  ChildProcess sync(Args("127.0.0.1:0"), dir_.File("sync.log"));
  ASSERT_TRUE(sync.WaitForLog("Start Sync update", 30s)) << sync.Log();
  const std::string base = MonitorBase(sync);
  EXPECT_EQ(Metric(Fetch(base + "/metrics").body, "etcd_sync_watch_restarts_total"), 0);
  // The leader key vanishes: the next write finds its fence gone, the replica campaigns
  // again, wins, and live replication reopens its watch from the checkpoint.
  etcd::pb::DeleteRangeRequest remove;
  remove.set_key("/etcd-sync/etcd-sync-mirror/");
  remove.set_range_end(etcd::PrefixRangeEnd("/etcd-sync/etcd-sync-mirror/"));
  ASSERT_TRUE(standby_->client().DeleteRange(remove).ok());
  Put(primary_->client(), "/registry/configmaps/team-01/after-fence", "x");
  std::string metrics;
  EXPECT_TRUE(WaitUntil(
      [&] {
        metrics = Fetch(base + "/metrics").body;
        return Metric(metrics, "etcd_sync_watch_restarts_total") == 1 &&
               Get(standby_->client(), "/registry/configmaps/team-01/after-fence").has_value();
      },
      20s))
      << metrics << sync.Log();
  EXPECT_EQ(sync.CountInLog("Acquired leader lease"), 2) << sync.Log();
}

TEST_F(MonitorTruthTest, ListensOnIpv6AndRefusesAmbiguousAddresses) {
  ChildProcess sync(Args("[::1]:0"), dir_.File("sync.log"));
  const std::string base = MonitorBase(sync);
  ASSERT_EQ(base.rfind("http://[::1]:", 0), 0u) << base << sync.Log();
  EXPECT_TRUE(WaitUntil([&] { return Fetch(base + "/healthz").status == 200; }, 10s));
  EXPECT_TRUE(WaitUntil([&] { return Fetch(base + "/check").status == 200; }, 30s));
  // The docs' own command, scheme-less as they write it (`curl <ip>/check`), with the curl
  // command-line client; -g lets it take the IPv6 literal's brackets.
  const std::string docs_command = "curl -sSfg '" + base.substr(7) + "/check'";
  std::string body;
  if (FILE* pipe = popen(docs_command.c_str(), "r"); pipe != nullptr) {
    char buffer[4096];
    while (size_t n = fread(buffer, 1, sizeof(buffer), pipe)) body.append(buffer, n);
    EXPECT_EQ(pclose(pipe), 0) << docs_command;
  }
  EXPECT_NE(body.find("LOCAL ETCD missed keys:"), std::string::npos) << docs_command << body;
  EXPECT_NE(body.find("LOCAL ETCD stale keys:"), std::string::npos) << body;

  struct Case {
    std::string listen;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {"::1:8080", "an IPv6 address needs brackets: [::1]:8080"},
           {"$(POD_IP):8080", "unexpanded variable"},
           {":8080", "the host is empty"},
       }) {
    ChildProcess bad(Args(c.listen), dir_.File("bad.log"));
    EXPECT_EQ(bad.WaitExit(20s), 2) << c.listen << ": " << bad.Log();
    const std::string log = bad.Log();
    EXPECT_NE(log.find(c.says), std::string::npos) << log;
    EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;
    std::remove(dir_.File("bad.log").c_str());
  }
}

}  // namespace
}  // namespace testing_support
