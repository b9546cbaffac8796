// `ac adm dr check` and the upgrade's first gate on a local DR pair (dr_harness.h): a surplus
// key on the standby and a non-running Machine block, and nothing is uninstalled; then the
// failover with its manual steps, and the re-enable.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <thread>

#include "dr_harness.h"
#include "platform/dr_role.h"
#include "platform/resources.h"

namespace {

using dr_testing::DrPair;
using nlohmann::json;

bool PluginInstalled(DrPair& pair) {
  auto plugin = pair.standby().List(platform::kModuleInfos, "", "cpaas.io/module-name=etcd-sync");
  return plugin.ok() && !(*plugin)["items"].empty();
}

TEST(DrGatesTest, ASurplusKeyAndANonRunningMachineBlock) {
  DrPair pair;
  ASSERT_TRUE(pair.WaitConsistent()) << pair.SyncLogs();
  auto passing = pair.RunAc("check", {"-o", "json"});
  ASSERT_EQ(passing.exit_code, 0) << passing.output;
  json report = json::parse(passing.output, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << passing.output;
  EXPECT_TRUE(report["passed"].get<bool>());
  EXPECT_EQ(report["gates"].size(), 6u) << report.dump(2);

  // Without --monitor-url the monitor is found through its Service on the standby.
  auto no_service = pair.RunAc("check", {}, /*with_monitor_url=*/false);
  EXPECT_EQ(no_service.exit_code, 10) << no_service.output;
  EXPECT_NE(no_service.output.find("Service cpaas-system/etcd-sync-monitor"), std::string::npos)
      << no_service.output;
  ASSERT_TRUE(
      pair.standby()
          .Create(platform::kServices, platform::kPlatformNamespace,
                  {{"metadata", {{"name", "etcd-sync-monitor"}}},
                   {"spec",
                    {{"clusterIP", "127.0.0.1"}, {"ports", {{{"port", pair.monitor_port()}}}}}}})
          .ok());
  auto by_service = pair.RunAc("check", {}, /*with_monitor_url=*/false);
  EXPECT_EQ(by_service.exit_code, 0) << by_service.output;

  // A key only the standby has, in the synced scope.
  auto surplus = pair.standby().Create(
      platform::kConfigMaps, "team-a",
      {{"metadata", {{"name", "standby-only"}, {"namespace", "team-a"}}}, {"data", {{"a", "b"}}}});
  ASSERT_TRUE(surplus.ok()) << surplus.status();
  auto blocked = pair.RunAc("check");
  EXPECT_EQ(blocked.exit_code, 10) << blocked.output;
  EXPECT_NE(blocked.output.find("BLOCKED consistency"), std::string::npos) << blocked.output;
  EXPECT_NE(blocked.output.find("1 surplus"), std::string::npos) << blocked.output;
  EXPECT_NE(blocked.output.find("standby-only"), std::string::npos) << blocked.output;

  auto upgrade = pair.RunAc("upgrade");
  EXPECT_EQ(upgrade.exit_code, 10) << upgrade.output;
  EXPECT_NE(upgrade.output.find("[1/12] check"), std::string::npos) << upgrade.output;
  EXPECT_NE(upgrade.output.find("BLOCKED after"), std::string::npos) << upgrade.output;
  EXPECT_NE(upgrade.output.find("do NOT uninstall etcd-sync"), std::string::npos);
  EXPECT_TRUE(PluginInstalled(pair)) << "a blocked gate must not uninstall the plugin";
  EXPECT_EQ(pair.sync_starts(), 1);
  EXPECT_EQ(pair.CatalogSize(true), 0);

  // Clean the surplus key; break a Machine on the primary (it syncs to the standby).
  ASSERT_TRUE(pair.standby().Delete(platform::kConfigMaps, "team-a", "standby-only").ok());
  auto machine = pair.primary().Get(platform::kMachines, "", "business-1-m2");
  ASSERT_TRUE(machine.ok());
  (*machine)["status"]["phase"] = "Failed";
  ASSERT_TRUE(pair.primary().UpdateStatus(platform::kMachines, "", *machine).ok());
  ASSERT_TRUE(pair.WaitConsistent());
  auto machine_blocked = pair.RunAc("check");
  EXPECT_EQ(machine_blocked.exit_code, 10) << machine_blocked.output;
  EXPECT_NE(machine_blocked.output.find("BLOCKED machines/primary"), std::string::npos)
      << machine_blocked.output;
  EXPECT_NE(machine_blocked.output.find("business-1-m2 (Failed)"), std::string::npos);
  EXPECT_EQ(machine_blocked.output.find("BLOCKED consistency"), std::string::npos)
      << machine_blocked.output;
  auto resumed = pair.RunAc("upgrade");
  EXPECT_EQ(resumed.exit_code, 10) << resumed.output;
  EXPECT_NE(resumed.output.find("business-1-m2 (Failed)"), std::string::npos) << resumed.output;
  EXPECT_TRUE(PluginInstalled(pair));

  // The sync is stopped by hand: the gate names the unreachable monitor and the leader.
  ASSERT_TRUE(pair.standby().Delete(platform::kModuleInfos, "", dr_testing::kPluginName).ok());
  for (int i = 0; i < 100 && pair.sync_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto stopped = pair.RunAc("check");
  EXPECT_EQ(stopped.exit_code, 10) << stopped.output;
  EXPECT_NE(stopped.output.find("cannot reach etcd-sync-monitor"), std::string::npos)
      << stopped.output;
  EXPECT_NE(stopped.output.find("BLOCKED sync-leader"), std::string::npos) << stopped.output;
}

TEST(DrGatesTest, FailoverWithManualStepsThenReenable) {
  DrPair pair;
  ASSERT_TRUE(pair.WaitConsistent()) << pair.SyncLogs();
  // Platform pods the failover restarts on the new primary; a warlock pod on the old primary
  // (warlock is restarted on workload clusters only).
  for (const char* service : {"cpaas-elasticsearch", "vmselect"}) {
    ASSERT_TRUE(pair.standby()
                    .Create(platform::kPods, platform::kPlatformNamespace,
                            {{"metadata",
                              {{"name", std::string(service) + "-0"},
                               {"labels", {{"service_name", service}}}}}})
                    .ok());
  }
  ASSERT_TRUE(pair.primary()
                  .Create(platform::kPods, platform::kPlatformNamespace,
                          {{"metadata",
                            {{"name", "warlock-0"}, {"labels", {{"service_name", "warlock"}}}}}})
                  .ok());

  auto first = pair.RunAc("failover");
  EXPECT_EQ(first.exit_code, 11) << first.output;
  EXPECT_NE(first.output.find("ACTION NEEDED"), std::string::npos) << first.output;
  EXPECT_NE(first.output.find("--confirm ensure-es-template"), std::string::npos);
  EXPECT_TRUE(PluginInstalled(pair));

  auto second = pair.RunAc("failover", {"--confirm", "ensure-es-template"});
  EXPECT_EQ(second.exit_code, 11) << second.output;
  EXPECT_NE(second.output.find("--confirm remove-2379-forwarding"), std::string::npos)
      << second.output;
  EXPECT_FALSE(PluginInstalled(pair)) << "the check passed, so the plugin is uninstalled";

  auto typo = pair.RunAc("failover", {"--confirm", "switch-dsn"});
  EXPECT_EQ(typo.exit_code, 2) << typo.output;

  // §8.7 steps 6-7 come before the restarts: without their confirmations nothing restarts.
  auto dns =
      pair.RunAc("failover", {"--confirm", "remove-2379-forwarding", "--confirm", "switch-dns"});
  EXPECT_EQ(dns.exit_code, 11) << dns.output;
  EXPECT_NE(dns.output.find("kubectl exec -it -n cpaas-system deployments/sentry -- nslookup"),
            std::string::npos)
      << dns.output;
  EXPECT_NE(dns.output.find("--confirm check-dns"), std::string::npos) << dns.output;
  auto before_restart =
      pair.standby().List(platform::kPods, platform::kPlatformNamespace, "service_name=vmselect");
  ASSERT_TRUE(before_restart.ok());
  EXPECT_EQ((*before_restart)["items"].size(), 1u) << "pods restarted before the DNS check";

  // Warlock is restarted on the workload clusters the new primary lists (§8.7 step 9): the
  // pair's Cluster business-1 has no API server behind the proxy, so the step fails naming it.
  auto unreachable =
      pair.RunAc("failover", {"--confirm", "check-dns", "--confirm", "confirm-console"});
  EXPECT_EQ(unreachable.exit_code, 1) << unreachable.output;
  EXPECT_NE(unreachable.output.find("cannot restart warlock on business-1"), std::string::npos)
      << unreachable.output;
  ASSERT_TRUE(pair.standby().Delete(platform::kClusters, "", "business-1").ok());
  auto third = pair.RunAc("failover");
  EXPECT_EQ(third.exit_code, 0) << third.output;
  EXPECT_NE(third.output.find("DR failover complete"), std::string::npos) << third.output;
  // Warlock runs on the workload clusters (§8.7 step 9); this pair lists none.
  EXPECT_NE(third.output.find("no workload clusters on the new primary"), std::string::npos)
      << third.output;
  auto pods =
      pair.standby().List(platform::kPods, platform::kPlatformNamespace, "service_name=vmselect");
  ASSERT_TRUE(pods.ok());
  EXPECT_TRUE((*pods)["items"].empty());
  auto warlock =
      pair.primary().List(platform::kPods, platform::kPlatformNamespace, "service_name=warlock");
  ASSERT_TRUE(warlock.ok());
  EXPECT_EQ((*warlock)["items"].size(), 1u) << "warlock of the old primary itself is left alone";
  auto configmap = pair.standby().Get(platform::kConfigMaps, platform::kPlatformNamespace,
                                      "dr-failover-journal");
  ASSERT_TRUE(configmap.ok()) << "the failover journal lives on the new primary";
  // The roles swapped on the clusters themselves (violet reads them to warn on a standby).
  EXPECT_EQ(platform::ReadDrRole(pair.standby()).value_or("?"), "primary");
  EXPECT_EQ(platform::ReadDrRole(pair.primary()).value_or("?"), "standby");

  // Re-enable (the harness only syncs in one direction, so the pair keeps its orientation):
  // the plugin comes back from the object the failover saved.
  auto reenable = pair.RunAc("reenable", {"--confirm", "restore-2379-forwarding"});
  EXPECT_EQ(reenable.exit_code, 0) << reenable.output << pair.SyncLogs();
  EXPECT_TRUE(PluginInstalled(pair));
  EXPECT_TRUE(pair.WaitConsistent());
  EXPECT_EQ(platform::ReadDrRole(pair.primary()).value_or("?"), "primary");
  EXPECT_EQ(platform::ReadDrRole(pair.standby()).value_or("?"), "standby");
}

// etcd-sync's monitor guards /check with a bearer token: `ac adm dr check` sends it from
// --monitor-token-file (never in argv or the output), refuses a file others can read, and
// without it the consistency gate names the flag. `ac console` takes the same flag.
TEST(DrGatesTest, TheMonitorsBearerTokenFromAFile) {
  dr_testing::DrPairOptions options;
  options.monitor_token = "monitor-bearer-7f3a";
  DrPair pair(options);
  ASSERT_TRUE(pair.WaitConsistent()) << pair.SyncLogs();

  auto without = pair.RunAc("check");
  EXPECT_EQ(without.exit_code, 10) << without.output;
  EXPECT_NE(without.output.find("asks for its bearer token"), std::string::npos) << without.output;
  EXPECT_NE(without.output.find("--monitor-token-file"), std::string::npos) << without.output;

  const std::string file = pair.dir().File("ac-monitor-token");
  std::ofstream(file) << options.monitor_token << "\n";
  ASSERT_EQ(chmod(file.c_str(), 0600), 0);
  auto with = pair.RunAc("check", {"--monitor-token-file", file});
  EXPECT_EQ(with.exit_code, 0) << with.output;
  EXPECT_NE(with.output.find("DR check passed"), std::string::npos) << with.output;
  EXPECT_EQ(with.output.find(options.monitor_token), std::string::npos) << "token printed";

  ASSERT_EQ(chmod(file.c_str(), 0644), 0);
  auto open = pair.RunAc("check", {"--monitor-token-file", file});
  EXPECT_EQ(open.exit_code, 2) << open.output;
  EXPECT_NE(open.output.find("chmod 600"), std::string::npos) << open.output;
  EXPECT_EQ(open.output.find(options.monitor_token), std::string::npos) << "token printed";
  auto console = testing_support::RunCommand(
      std::string(AC_BINARY) + " console --kubeconfig '" + pair.dir().File("primary.kubeconfig") +
      "' --standby-kubeconfig '" + pair.dir().File("standby.kubeconfig") +
      "' --listen 127.0.0.1:0 --monitor-token-file '" + file + "' 2>&1");
  EXPECT_EQ(console.exit_code, 2) << console.output;
  EXPECT_NE(console.output.find("chmod 600"), std::string::npos) << console.output;
}

}  // namespace
