// Gate evaluation over what the monitor and the clusters return: each gate's pass and its
// blocking cases, plus the readers the steps decide with.
#include "dr/gates.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dr/cluster_checks.h"
#include "dr/plugin_steps.h"
#include "dr/upgrade_steps.h"

namespace dr {
namespace {

using nlohmann::json;

std::string CheckBody(int missed, int surplus, int stale, json surplus_keys = json::array()) {
  return json{{"consistent", missed + surplus + stale == 0},
              {"missed", {{"count", missed}, {"keys", json::array()}}},
              {"surplus", {{"count", surplus}, {"keys", surplus_keys}}},
              {"stale", {{"count", stale}, {"keys", json::array()}}}}
      .dump();
}

TEST(ConsistencyGateTest, PassesOnlyWithoutMissedOrSurplusKeys) {
  EXPECT_TRUE(EvaluateConsistency(200, CheckBody(0, 0, 0), "http://m").passed);
  GateResult stale = EvaluateConsistency(200, CheckBody(0, 0, 3), "http://m");
  EXPECT_TRUE(stale.passed) << "stale keys are reported, not blocking";
  EXPECT_NE(stale.detail.find("3 stale"), std::string::npos);
  GateResult surplus =
      EvaluateConsistency(200, CheckBody(0, 1, 0, {"/registry/machines/extra"}), "http://m");
  EXPECT_FALSE(surplus.passed);
  EXPECT_NE(surplus.detail.find("/registry/machines/extra"), std::string::npos) << surplus.detail;
  EXPECT_NE(surplus.remedy.find("do NOT uninstall"), std::string::npos);
  EXPECT_FALSE(EvaluateConsistency(200, CheckBody(2, 0, 0), "http://m").passed);
  GateResult copying = EvaluateConsistency(503, "no initial copy has completed\n", "http://m");
  EXPECT_FALSE(copying.passed);
  EXPECT_NE(copying.remedy.find("Start Sync update"), std::string::npos);
  EXPECT_FALSE(EvaluateConsistency(200, "LOCAL ETCD missed keys:\n", "http://m").passed);
  EXPECT_FALSE(ConsistencyUnreachable(absl::UnavailableError("refused"), "http://m").passed);
}

// The monitor's answer is input: odd types, deep nesting and floods fail the gate with one
// line instead of crashing ac or flooding its output.
TEST(ConsistencyGateTest, HostileAnswersFailTheGateWithOneLine) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  for (const std::string& body :
       {std::string(R"({"missed":{"count":"7"},"surplus":{"count":0}})"),
        std::string(R"({"missed":[],"surplus":3})"), std::string("[1,2]"),
        R"({"missed":{"count":0,"keys":[]},"surplus":{"count":0},"x":)" + deep + "}"}) {
    GateResult gate = EvaluateConsistency(200, body, "http://m");
    EXPECT_FALSE(gate.passed) << body.substr(0, 100);
    EXPECT_NE(gate.detail.find("returned no missed/surplus counts"), std::string::npos)
        << gate.detail;
  }
  GateResult odd_keys =
      EvaluateConsistency(200,
                          R"({"missed":{"count":2,"keys":[7,")" + std::string(100000, 'k') +
                              R"("]},"surplus":{"count":0}})",
                          "http://m");
  EXPECT_FALSE(odd_keys.passed);
  EXPECT_LT(odd_keys.detail.size(), 600u) << odd_keys.detail.substr(0, 300);
  GateResult flood =
      EvaluateConsistency(503, std::string(100000, 'x') + "\nsecond line", "http://m");
  EXPECT_FALSE(flood.passed);
  EXPECT_LT(flood.detail.size(), 400u);
  EXPECT_EQ(flood.detail.find('\n'), std::string::npos);
}

TEST(MachinesGateTest, EveryMachineMustBeRunning) {
  json running = {{"items",
                   {{{"metadata", {{"name", "m1"}}}, {"status", {{"phase", "Running"}}}},
                    {{"metadata", {{"name", "m2"}}}, {"status", {{"phase", "Running"}}}}}}};
  GateResult ok = EvaluateMachines("primary", running);
  EXPECT_TRUE(ok.passed);
  EXPECT_NE(ok.detail.find("2 Machine(s)"), std::string::npos);
  json bad = running;
  bad["items"][1]["status"]["phase"] = "Failed";
  bad["items"].push_back({{"metadata", {{"name", "m3"}}}});
  GateResult blocked = EvaluateMachines("standby", bad);
  EXPECT_FALSE(blocked.passed);
  EXPECT_NE(blocked.detail.find("m2 (Failed)"), std::string::npos) << blocked.detail;
  EXPECT_NE(blocked.detail.find("m3 (no phase)"), std::string::npos) << blocked.detail;
  EXPECT_NE(blocked.remedy.find("standby"), std::string::npos);
  EXPECT_FALSE(EvaluateMachines("primary", absl::UnavailableError("down")).passed);
  EXPECT_TRUE(EvaluateMachines("primary", json{{"items", json::array()}}).passed);
}

TEST(AlternativeUrlsGateTest, NeedsTheStandbyVipAmongTheUrls) {
  json base = {{"spec", {{"alternativeURLs", {"https://10.0.0.9", "https://10.0.0.20:443/"}}}}};
  EXPECT_TRUE(EvaluateAlternativeUrls("standby", base, "10.0.0.20").passed);
  EXPECT_TRUE(EvaluateAlternativeUrls("standby", base, "https://10.0.0.9").passed);
  GateResult missing = EvaluateAlternativeUrls("standby", base, "10.0.0.30");
  EXPECT_FALSE(missing.passed);
  EXPECT_NE(missing.remedy.find("https://10.0.0.30"), std::string::npos);
  EXPECT_FALSE(EvaluateAlternativeUrls("standby", base, "").passed);
  EXPECT_FALSE(
      EvaluateAlternativeUrls("standby", json{{"spec", json::object()}}, "10.0.0.9").passed);
  json v6 = {{"spec", {{"alternativeURLs", {"https://[fd00::20]:8443"}}}}};
  EXPECT_TRUE(EvaluateAlternativeUrls("standby", v6, "fd00::20").passed);
  EXPECT_EQ(UrlHost("https://[fd00::1]:443/x"), "fd00::1");
  EXPECT_EQ(UrlHost("10.1.1.1"), "10.1.1.1");
  EXPECT_EQ(UrlHost("http://host.example:80"), "host.example");
}

TEST(EtcdGateTest, EveryEndpointMustConnect) {
  EXPECT_TRUE(EvaluateEtcdReachable({}).passed);
  EXPECT_TRUE(EvaluateEtcdReachable({{"10.0.0.1:2379", absl::OkStatus()}}).passed);
  GateResult down = EvaluateEtcdReachable(
      {{"10.0.0.1:2379", absl::OkStatus()}, {"10.0.0.2:2379", absl::UnavailableError("refused")}});
  EXPECT_FALSE(down.passed);
  EXPECT_NE(down.detail.find("10.0.0.2:2379 (refused)"), std::string::npos);
  EXPECT_EQ(down.detail.find("10.0.0.1"), std::string::npos);
}

// The Prometheus text format: `name{labels} value [timestamp]`. The value is the token after
// the labels, never a trailing timestamp; label values may hold spaces, braces and quotes.
TEST(MetricValueTest, ReadsTheValueNotTheTimestampOrALabel) {
  struct Case {
    std::string text;
    std::optional<double> value;
  };
  for (const Case& c : std::vector<Case>{
           {"etcd_sync_leader 1\n", 1},
           {"etcd_sync_leader 1 1700000000000\n", 1},
           {"etcd_sync_leader 0 \n", 0},
           {"etcd_sync_leader\t1\n", 1},
           {"etcd_sync_leader{pod=\"a b\"} 1 1700000000000\n", 1},
           {"etcd_sync_leader{pod=\"x} 7\"} 1\n", 1},
           {"etcd_sync_leader{pod=\"q\\\"} 9\"} 1\n", 1},
           {"etcd_sync_leader{pod=\"never closed 1\n", std::nullopt},
           {"etcd_sync_leader 1x\n", std::nullopt},
           {"etcd_sync_leader \n", std::nullopt},
           {"etcd_sync_leader_total 5\n", std::nullopt},
       }) {
    EXPECT_EQ(MetricValue(c.text, "etcd_sync_leader"), c.value) << c.text;
  }
}

TEST(LeaderGateTest, MetricsOrLease) {
  const std::string leader =
      "# HELP etcd_sync_leader x\netcd_sync_leader 1\netcd_sync_leader_x 0\n";
  const std::string follower = "etcd_sync_leader 0\n";
  EXPECT_EQ(MetricValue(leader, "etcd_sync_leader"), 1);
  EXPECT_FALSE(MetricValue(leader, "etcd_sync_lag").has_value());
  EXPECT_TRUE(EvaluateSyncLeader(leader, absl::NotFoundError("no lease")).passed);
  EXPECT_FALSE(EvaluateSyncLeader(follower, absl::NotFoundError("no lease")).passed);
  json lease = {{"spec", {{"holderIdentity", "etcd-sync-7d9"}}}};
  GateResult by_lease = EvaluateSyncLeader(follower, lease);
  EXPECT_TRUE(by_lease.passed);
  EXPECT_NE(by_lease.detail.find("etcd-sync-7d9"), std::string::npos);
  EXPECT_FALSE(EvaluateSyncLeader(absl::UnavailableError("refused"),
                                  json{{"spec", {{"holderIdentity", ""}}}})
                   .passed);
  GateResult stale_lease = EvaluateSyncLeader(absl::UnavailableError("refused"), lease);
  EXPECT_FALSE(stale_lease.passed) << "a Lease left by a stopped sync is no leader";
  EXPECT_NE(stale_lease.detail.find("refused"), std::string::npos);
}

TEST(CheckReportTest, ListsEveryBlocker) {
  CheckReport report;
  report.gates = {{"consistency", true, "0 missed", ""},
                  {"machines/primary", false, "1 of 2 not Running: m2 (Failed)", "fix m2"},
                  {"sync-leader", false, "no leader", "check pods"}};
  EXPECT_TRUE(report.Blocked());
  EXPECT_EQ(report.Blockers().size(), 2u);
  const std::string text = report.RenderText();
  EXPECT_NE(text.find("BLOCKED machines/primary"), std::string::npos) << text;
  EXPECT_NE(text.find("2 gate(s) block"), std::string::npos);
  EXPECT_FALSE(report.RenderJson()["passed"].get<bool>());
  EXPECT_NE(report.BlockersSummary().find("fix m2"), std::string::npos);
}

TEST(UpgradeProgressTest, ReadsHistoryStagesAndStalled) {
  json cvsh = {
      {"status",
       {{"history", {{{"version", "4.2.0"}, {"state", "Partial"}}}},
        {"stages",
         {{{"name", "Core"}, {"phase", "Finished"}}, {{"name", "Aligned"}, {"phase", "Running"}}}},
        {"conditions",
         {{{"type", "Stalled"},
           {"status", "True"},
           {"reason", "StageFailed"},
           {"message", "stage Aligned failed"}}}}}}};
  UpgradeProgress progress = ReadUpgradeProgress(cvsh, "4.2.0");
  EXPECT_FALSE(progress.completed);
  EXPECT_TRUE(progress.stalled);
  EXPECT_NE(progress.stalled_message.find("stage Aligned failed"), std::string::npos);
  EXPECT_EQ(progress.stages, "Core Finished, Aligned Running");
  cvsh["status"]["history"][0]["state"] = "Completed";
  cvsh["status"]["conditions"][0]["status"] = "False";
  progress = ReadUpgradeProgress(cvsh, "4.2.0");
  EXPECT_TRUE(progress.completed);
  EXPECT_FALSE(progress.stalled);
  EXPECT_FALSE(ReadUpgradeProgress(cvsh, "4.3.0").completed);
}

// A ClusterVersionShadow from a cluster is untrusted: mistyped fields read as absent, never
// an exception that stops the DR run.
TEST(UpgradeProgressTest, MistypedShadowIsReadNotThrown) {
  const json mistyped[] = {
      {{"status", {{"history", {42}}}}},
      {{"status", {{"history", {{{"version", 7}, {"state", true}}}}}}},
      {{"status", {{"stages", {"Core", {{"name", 1}, {"phase", nullptr}}}}}}},
      {{"status", {{"conditions", {{{"type", "Stalled"}, {"status", 1}, {"reason", {}}}}}}}},
      {{"status", {{"conditions", {{{"type", "Stalled"}, {"status", "True"}, {"message", 3}}}}}}},
  };
  for (const json& cvsh : mistyped) {
    UpgradeProgress progress;
    EXPECT_NO_THROW(progress = ReadUpgradeProgress(cvsh, "4.2.0")) << cvsh.dump();
    EXPECT_FALSE(progress.completed) << cvsh.dump();
  }
}

TEST(PluginObjectTest, RecreatableWithoutServerFields) {
  json object = {{"apiVersion", "cluster.alauda.io/v1alpha1"},
                 {"kind", "ModuleInfo"},
                 {"metadata",
                  {{"name", "global-etcd-sync"},
                   {"uid", "u"},
                   {"resourceVersion", "12"},
                   {"creationTimestamp", "t"},
                   {"labels", {{"cpaas.io/module-name", "etcd-sync"}}}}},
                 {"spec", {{"version", "v4.2.0"}}},
                 {"status", {{"phase", "Running"}}}};
  json clean = ObjectForRecreate(object);
  EXPECT_FALSE(clean.contains("status"));
  EXPECT_FALSE(clean["metadata"].contains("uid"));
  EXPECT_FALSE(clean["metadata"].contains("resourceVersion"));
  EXPECT_EQ(clean["metadata"]["labels"]["cpaas.io/module-name"], "etcd-sync");
  EXPECT_EQ(clean["spec"]["version"], "v4.2.0");
  EXPECT_EQ(PluginSelector("EtcdSync"),
            "cpaas.io/module-name=EtcdSync,cpaas.io/cluster-name=global");
}

TEST(RegistryFlagsTest, PasswordNeverInArgv) {
  RegistryTarget registry;
  registry.address = "10.0.0.20:11443";
  registry.username = "admin";
  registry.password = common::Secret("s3cret");
  registry.plain = true;
  std::vector<std::string> flags = RegistryFlags(registry);
  for (const std::string& flag : flags) EXPECT_EQ(flag.find("s3cret"), std::string::npos);
  EXPECT_EQ(flags, (std::vector<std::string>{"--registry", "10.0.0.20:11443", "--username", "admin",
                                             "--password-stdin", "--plain"}));
  registry.no_auth = true;
  EXPECT_EQ(RegistryFlags(registry),
            (std::vector<std::string>{"--registry", "10.0.0.20:11443", "--plain"}));
}

TEST(ProbeTcpTest, ConnectsOrSaysWhy) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(listen(listener, 4), 0);
  socklen_t length = sizeof(address);
  getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  const std::string port = std::to_string(ntohs(address.sin_port));
  EXPECT_TRUE(ProbeTcp("127.0.0.1:" + port, std::chrono::seconds(2)).ok());
  EXPECT_TRUE(ProbeTcp("https://127.0.0.1:" + port, std::chrono::seconds(2)).ok());
  close(listener);
  absl::Status closed = ProbeTcp("http://127.0.0.1:" + port, std::chrono::seconds(2));
  EXPECT_FALSE(closed.ok());
  EXPECT_FALSE(ProbeTcp("no-such-host.invalid:2379", std::chrono::seconds(2)).ok());
}

}  // namespace
}  // namespace dr
