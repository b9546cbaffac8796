// The monitor's pure parts: --monitor-listen parsing, the lag history ring and its JSON,
// reachability and lag estimates, the bearer token compare, the histogram's rendering.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "monitor/bearer_token.h"
#include "monitor/lag_history.h"
#include "monitor/lag_tracker.h"
#include "monitor/listen_address.h"
#include "monitor/metrics_text.h"

namespace monitor {
namespace {

TEST(ListenAddressTest, AcceptsIpv4Ipv6AndHostNames) {
  struct Case {
    std::string text;
    std::string host;
    int port;
    std::string shown;
  };
  for (const Case& c : std::vector<Case>{
           {"0.0.0.0:8080", "0.0.0.0", 8080, "0.0.0.0:8080"},
           {"10.1.2.3:0", "10.1.2.3", 0, "10.1.2.3:0"},
           {"[::]:8080", "::", 8080, "[::]:8080"},
           {"[fd00::1]:8080", "fd00::1", 8080, "[fd00::1]:8080"},
           {"[::1]:0", "::1", 0, "[::1]:0"},
           {"[10.1.2.3]:8080", "10.1.2.3", 8080, "10.1.2.3:8080"},  // [$(POD_IP)] on IPv4
           {"localhost:9000", "localhost", 9000, "localhost:9000"},
       }) {
    auto parsed = ParseListenAddress(c.text);
    ASSERT_TRUE(parsed.ok()) << c.text << ": " << parsed.status();
    EXPECT_EQ(parsed->host, c.host) << c.text;
    EXPECT_EQ(parsed->port, c.port) << c.text;
    EXPECT_EQ(parsed->ToString(), c.shown) << c.text;
  }
}

TEST(ListenAddressTest, RefusesWithOneLineThatSaysWhatToWrite) {
  struct Case {
    std::string text;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {"fd00::1:8080", "an IPv6 address needs brackets: [fd00::1]:8080"},
           {"$(POD_IP):8080", "unexpanded variable"},
           {"[$(POD_IP)]:8080", "unexpanded variable"},
           {":8080", "the host is empty"},
           {"[]:8080", "must be an IP address"},
           {"[fd00::1:8080", "unterminated ["},
           {"[fd00::1]8080", "missing :port"},
           {"[example.com]:80", "must be an IP address"},
           {"0.0.0.0", "missing :port"},
           {"0.0.0.0:http", "port must be a number"},
           {"0.0.0.0:65536", "port must be a number"},
           {"0.0.0.0:-1", "port must be a number"},
           {"0.0.0.0 :80", "spaces"},
           {std::string(400, 'a') + ":80", "too long"},
       }) {
    auto parsed = ParseListenAddress(c.text);
    ASSERT_FALSE(parsed.ok()) << c.text;
    const std::string message(parsed.status().message());
    EXPECT_NE(message.find(c.says), std::string::npos) << c.text << " -> " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_LT(message.size(), 400u) << message;
  }
}

TEST(LagHistoryTest, KeepsTheNewestSamplesOldestFirst) {
  LagHistory history(3);
  for (int64_t t = 1; t <= 5; ++t) {
    LagSample sample;
    sample.unix_seconds = t;
    sample.lag_seconds = static_cast<double>(t) / 2;
    sample.lag_events = t == 5 ? -1 : t;
    sample.applied_revision = 100 + t;
    sample.source_up = t != 5;
    sample.dest_up = true;
    sample.leader = true;
    history.Add(sample);
  }
  const auto json = nlohmann::json::parse(history.ToJson(5));
  EXPECT_EQ(json["interval_seconds"], 5);
  EXPECT_EQ(json["capacity"], 3);
  ASSERT_EQ(json["samples"].size(), 3u);
  EXPECT_EQ(json["samples"][0]["t"], 3);
  EXPECT_EQ(json["samples"][2]["t"], 5);
  EXPECT_EQ(json["samples"][0]["lag_events"], 3);
  EXPECT_TRUE(json["samples"][2]["lag_events"].is_null());
  EXPECT_EQ(json["samples"][2]["source_up"], false);
  EXPECT_EQ(json["samples"][1]["applied_revision"], 104);
  EXPECT_DOUBLE_EQ(json["samples"][1]["lag_seconds"].get<double>(), 2.0);
}

TEST(LagHistoryTest, EmptyHistoryIsValidJson) {
  const auto json = nlohmann::json::parse(LagHistory(720).ToJson(5));
  EXPECT_TRUE(json["samples"].empty());
  EXPECT_EQ(json["capacity"], 720);
}

TEST(ReachabilityTest, DownAfterAFailedProbeOrAStaleAnswer) {
  Reachability source(/*start=*/100);
  EXPECT_FALSE(source.Up(100.5, 5));  // not asked yet
  EXPECT_DOUBLE_EQ(source.UnreachableFor(101, 5), 1);
  source.Record(102, true);
  EXPECT_TRUE(source.Up(104, 5));
  EXPECT_DOUBLE_EQ(source.UnreachableFor(104, 5), 0);
  // A probe stuck on a hung etcd: the last answer grows old.
  EXPECT_FALSE(source.Up(108, 5));
  EXPECT_DOUBLE_EQ(source.UnreachableFor(108, 5), 6);
  // A failed probe counts at once; the outage is measured from the last answer.
  source.Record(103, true);
  source.Record(104, false);
  EXPECT_FALSE(source.Up(104, 5));
  EXPECT_DOUBLE_EQ(source.UnreachableFor(130, 5), 27);
  source.Record(131, true);
  EXPECT_TRUE(source.Up(131, 5));
}

TEST(LagTrackerTest, MeasuresFromTheOldestUnappliedChangeSeen) {
  LagTracker lag;
  EXPECT_DOUBLE_EQ(lag.LaggingFor(10, 0), 0);
  lag.Pending(10, 50);
  lag.Pending(15, 50);  // the same change, seen again: still waiting since 10
  lag.Pending(20, 70);
  EXPECT_DOUBLE_EQ(lag.LaggingFor(22, 49), 12);
  EXPECT_DOUBLE_EQ(lag.LaggingFor(22, 50), 2);  // 50 applied; 70 waits since 20
  EXPECT_DOUBLE_EQ(lag.LaggingFor(23, 70), 0);
  EXPECT_DOUBLE_EQ(lag.LaggingFor(24, 10), 0);  // forgotten once covered
}

TEST(LagTrackerTest, StaysBoundedAndErrsTowardsMoreLag) {
  LagTracker lag;
  for (int64_t i = 1; i <= 5000; ++i) lag.Pending(static_cast<double>(i), i);
  // Everything up to the last full entry applied: the rest waits since that entry's time.
  EXPECT_DOUBLE_EQ(lag.LaggingFor(6000, LagTracker::kMaxEntries - 1),
                   6000 - static_cast<double>(LagTracker::kMaxEntries));
  EXPECT_DOUBLE_EQ(lag.LaggingFor(6000, 5000), 0);
}

TEST(BearerTokenTest, OnlyTheExactTokenMatches) {
  const common::Secret token("s3cr3t-token");
  EXPECT_TRUE(BearerTokenMatches("Bearer s3cr3t-token", token));
  EXPECT_FALSE(BearerTokenMatches("", token));
  EXPECT_FALSE(BearerTokenMatches("s3cr3t-token", token));
  EXPECT_FALSE(BearerTokenMatches("Basic s3cr3t-token", token));
  EXPECT_FALSE(BearerTokenMatches("Bearer s3cr3t-toke", token));
  EXPECT_FALSE(BearerTokenMatches("Bearer s3cr3t-token2", token));
  EXPECT_FALSE(BearerTokenMatches("Bearer S3cr3t-token", token));
  EXPECT_FALSE(BearerTokenMatches("Bearer  s3cr3t-token", token));
  EXPECT_FALSE(BearerTokenMatches("Bearer ", common::Secret("")));
}

TEST(MetricsTextTest, HistogramIsCumulativeWithSumAndCount) {
  etcdsync::SyncStats stats;
  stats.apply_duration.Observe(std::chrono::microseconds(500));
  stats.apply_duration.Observe(std::chrono::milliseconds(30));
  stats.apply_duration.Observe(std::chrono::seconds(60));
  ScrapeTimeFacts facts;
  facts.source_up = true;
  facts.lag_seconds = 25;
  const std::string text = RenderMetrics(stats, facts, {});
  for (const char* line : {
           "# TYPE etcd_sync_apply_duration_seconds histogram\n",
           "etcd_sync_apply_duration_seconds_bucket{le=\"0.001\"} 1\n",
           "etcd_sync_apply_duration_seconds_bucket{le=\"0.025\"} 1\n",
           "etcd_sync_apply_duration_seconds_bucket{le=\"0.05\"} 2\n",
           "etcd_sync_apply_duration_seconds_bucket{le=\"10\"} 2\n",
           "etcd_sync_apply_duration_seconds_bucket{le=\"+Inf\"} 3\n",
           "etcd_sync_apply_duration_seconds_sum 60.0305\n",
           "etcd_sync_apply_duration_seconds_count 3\n",
           "etcd_sync_source_up 1\n",
           "etcd_sync_dest_up 0\n",
           "etcd_sync_lag_seconds 25\n",
           "etcd_sync_watch_restarts_total 0\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
  // Only the leader's own writes say when a change was last applied.
  EXPECT_EQ(text.find("etcd_sync_seconds_since_last_applied_event"), std::string::npos);
  facts.seconds_since_last_applied_event = 3;
  EXPECT_NE(RenderMetrics(stats, facts, {}).find("etcd_sync_seconds_since_last_applied_event 3\n"),
            std::string::npos);
}

TEST(MetricsTextTest, BuildInfoNamesVersionAndCommitWithEscapedLabels) {
  etcdsync::SyncStats stats;
  const std::string text = RenderMetrics(stats, {}, {}, {"1.2.3", "abc123"});
  EXPECT_NE(text.find("# HELP etcd_sync_build_info "), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE etcd_sync_build_info gauge\n"), std::string::npos) << text;
  EXPECT_NE(text.find("etcd_sync_build_info{version=\"1.2.3\",commit=\"abc123\"} 1\n"),
            std::string::npos)
      << text;
  // Unknown fields say so; a quote, a backslash or a newline cannot break the line.
  EXPECT_NE(RenderMetrics(stats, {}, {})
                .find("etcd_sync_build_info{version=\"unknown\",commit=\"unknown\"} 1\n"),
            std::string::npos);
  EXPECT_NE(RenderMetrics(stats, {}, {}, {"1\"2", "a\\b\nc"})
                .find(R"(etcd_sync_build_info{version="1\"2",commit="a\\b\nc"} 1)"),
            std::string::npos);
}

}  // namespace
}  // namespace monitor
