// `ac adm dr upgrade` end to end on a local DR pair (dr_harness.h): once straight through,
// and once killed (SIGKILL) at several steps and resumed from its journal.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "dr/journal.h"
#include "dr/plan.h"
#include "dr_harness.h"
#include "platform/resources.h"

namespace {

using dr_testing::DrPair;
using dr_testing::kToVersion;
using nlohmann::json;
using testing_support::ChildProcess;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

json ReadJournal(const std::string& path) { return json::parse(ReadFile(path), nullptr, false); }

// The runner's progress line for a step it skips.
std::string AlreadyDone(const std::string& step) {
  return fmt::format("{:<24} already done", step);
}

// "resuming from ...: step N of 12" -> N (1 when the run started fresh).
int ResumeStep(const std::string& log) {
  std::smatch match;
  static const std::regex resume("resuming from .*: step ([0-9]+) of");
  return std::regex_search(log, match, resume) ? std::stoi(match[1]) : 1;
}

// The progress lines that start a step: "[k/12] name  side title".
std::vector<std::pair<int, std::string>> StartedSteps(const std::string& log) {
  std::vector<std::pair<int, std::string>> out;
  static const std::regex start(R"(^\[([0-9]+)/12\] (\S+) +(primary|standby|both|-) )");
  std::istringstream lines(log);
  std::string line;
  while (std::getline(lines, line)) {
    std::smatch match;
    if (std::regex_search(line, match, start)) out.emplace_back(std::stoi(match[1]), match[2]);
  }
  return out;
}

std::string StepState(const json& journal, const std::string& name) {
  for (const json& step : journal["steps"]) {
    if (step["name"] == name) return step["state"];
  }
  return "missing";
}

std::string CurrentVersion(k8s::RestClient& client) {
  auto cvsh = client.Get(platform::kClusterVersionShadows, platform::kPlatformNamespace, "global");
  return cvsh.ok() ? cvsh->value("/status/current/version"_json_pointer, std::string()) : "";
}

// What must hold after a complete DR upgrade, however it got there.
void ExpectUpgradedPair(DrPair& pair) {
  EXPECT_EQ(CurrentVersion(pair.primary()), kToVersion);
  EXPECT_EQ(CurrentVersion(pair.standby()), kToVersion);
  // One upgrade request per cluster, however often the command ran.
  EXPECT_EQ(pair.HistoryEntries(false, kToVersion), 1);
  EXPECT_EQ(pair.HistoryEntries(true, kToVersion), 1);
  // The standby finished before the primary was requested (§1 rule 2).
  auto primary =
      pair.primary().Get(platform::kClusterVersionShadows, platform::kPlatformNamespace, "global");
  auto standby =
      pair.standby().Get(platform::kClusterVersionShadows, platform::kPlatformNamespace, "global");
  ASSERT_TRUE(primary.ok() && standby.ok());
  EXPECT_LE((*standby)["status"]["history"][0]["completionTime"].get<std::string>(),
            (*primary)["status"]["history"][0]["startedTime"].get<std::string>());
  // Images in both registries, the plugin back on the standby, the pair consistent again.
  EXPECT_EQ(pair.CatalogSize(false), 4);
  EXPECT_EQ(pair.CatalogSize(true), 4);
  auto plugin = pair.standby().List(platform::kModuleInfos, "", "cpaas.io/module-name=etcd-sync");
  ASSERT_TRUE(plugin.ok());
  EXPECT_EQ((*plugin)["items"].size(), 1u);
  EXPECT_TRUE(pair.sync_running());
  EXPECT_TRUE(pair.WaitConsistent()) << pair.SyncLogs();
  // The workload cluster's Machines are untouched.
  auto machines = pair.standby().List(platform::kMachines, "");
  ASSERT_TRUE(machines.ok());
  EXPECT_EQ((*machines)["items"].size(), 3u);
  // Both journal copies say complete.
  json journal = ReadJournal(pair.dir().File("upgrade-journal.json"));
  for (const json& step : journal["steps"]) EXPECT_EQ(step["state"], "done") << step.dump();
  auto configmap =
      pair.primary().Get(platform::kConfigMaps, platform::kPlatformNamespace, "dr-upgrade-journal");
  ASSERT_TRUE(configmap.ok()) << configmap.status();
  json cluster_copy = json::parse((*configmap)["data"]["journal.json"].get<std::string>());
  EXPECT_EQ(cluster_copy["sequence"], journal["sequence"]);
}

TEST(DrUpgradeTest, StraightThrough) {
  DrPair pair;
  ASSERT_TRUE(pair.WaitConsistent()) << pair.SyncLogs();

  auto check = pair.RunAc("check");
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_NE(check.output.find("DR check passed"), std::string::npos) << check.output;

  auto plan = pair.RunAc("upgrade", {"--plan", "-o", "json"});
  ASSERT_EQ(plan.exit_code, 0) << plan.output;
  json plan_json = json::parse(plan.output, nullptr, false);
  ASSERT_FALSE(plan_json.is_discarded()) << plan.output;
  EXPECT_EQ(plan_json["sourceVersion"], dr_testing::kFromVersion);
  EXPECT_EQ(plan_json["plugin"]["cluster"], "standby");
  EXPECT_EQ(plan_json["steps"][3]["name"], "upgrade-standby");
  EXPECT_EQ(plan_json["steps"][5]["name"], "upgrade-primary");
  EXPECT_EQ(pair.sync_starts(), 1) << "--plan changed something";

  auto upgrade = pair.RunAc("upgrade");
  ASSERT_EQ(upgrade.exit_code, 0) << upgrade.output << pair.SyncLogs();
  EXPECT_NE(upgrade.output.find("DR upgrade complete: 12 steps"), std::string::npos);
  EXPECT_NE(upgrade.output.find("[12/12] final-check"), std::string::npos);
  EXPECT_NE(upgrade.output.find("saved ModuleInfo global-etcd-sync to the journal"),
            std::string::npos);
  ExpectUpgradedPair(pair);
  // Initial start, reinstall, leader restart.
  EXPECT_EQ(pair.sync_starts(), 3);
  EXPECT_NE(pair.SyncLogs().find("Start Sync update"), std::string::npos);

  // A second run has nothing to do and says so.
  auto again = pair.RunAc("upgrade");
  EXPECT_EQ(again.exit_code, 2) << again.output;
  EXPECT_NE(again.output.find("not newer"), std::string::npos) << again.output;
}

TEST(DrUpgradeTest, KilledAtSeveralStepsAndResumed) {
  DrPair pair;
  ASSERT_TRUE(pair.WaitConsistent()) << pair.SyncLogs();
  const std::string journal_path = pair.dir().File("upgrade-journal.json");
  struct KillPoint {
    std::string wait_for;  // a progress line of the step to kill in
    std::string step;
  };
  const std::vector<KillPoint> kills = {
      {"deleted ModuleInfo global-etcd-sync", "uninstall-sync-plugin"},
      {"requested 4.2.0 on the standby", "upgrade-standby"},
      {"] upgrade-primary", "upgrade-primary"},
      {"] restart-sync-leader", "restart-sync-leader"},
  };
  int run = 0, killed_mid_step = 0;
  for (const KillPoint& kill : kills) {
    ++run;
    ChildProcess ac(pair.AcArgs("upgrade"), pair.dir().File("ac-" + std::to_string(run) + ".log"));
    ASSERT_TRUE(ac.WaitForLog(kill.wait_for, std::chrono::seconds(120)))
        << "run " << run << " never reached: " << kill.wait_for << "\n"
        << ac.Log();
    ac.Kill();
    ac.WaitExit(std::chrono::seconds(10));
    json journal = ReadJournal(journal_path);
    const std::string state = StepState(journal, kill.step);
    // Killed inside the step, or (if it was quick) just after it finished.
    EXPECT_TRUE(state == "running" || state == "done") << kill.step << ": " << state;
    killed_mid_step += state == "running" ? 1 : 0;
    if (run > 1) {
      EXPECT_NE(ac.Log().find("resuming from"), std::string::npos) << ac.Log();
      EXPECT_NE(ac.Log().find(AlreadyDone("check")), std::string::npos) << ac.Log();
    }
  }
  ChildProcess last(pair.AcArgs("upgrade"), pair.dir().File("ac-last.log"));
  const auto code = last.WaitExit(std::chrono::seconds(240));
  ASSERT_TRUE(code.has_value()) << last.Log();
  ASSERT_EQ(*code, 0) << last.Log() << pair.SyncLogs();
  const std::string log = last.Log();
  EXPECT_NE(log.find("resuming from"), std::string::npos);
  for (const char* step : {"uninstall-sync-plugin", "upgrade-standby", "upgrade-primary"}) {
    EXPECT_NE(log.find(AlreadyDone(step)), std::string::npos) << step << "\n" << log;
  }
  ExpectUpgradedPair(pair);
  // Every start of a step in every run is in the journal's attempts, and no run started a
  // step before the one it said it resumes at (a done step is never repeated).
  json journal = ReadJournal(journal_path);
  std::vector<std::string> logs;
  for (int i = 1; i <= run; ++i) {
    logs.push_back(ReadFile(pair.dir().File("ac-" + std::to_string(i) + ".log")));
  }
  logs.push_back(log);
  std::map<std::string, int> starts;
  for (const std::string& text : logs) {
    const int resume_at = ResumeStep(text);
    for (const auto& [index, name] : StartedSteps(text)) {
      EXPECT_GE(index, resume_at) << name << " ran again after it was done:\n" << text;
      ++starts[name];
    }
  }
  // The journal is written before a start is printed: every printed start is an attempt, and
  // a run killed between the two leaves at most one attempt that printed nothing.
  for (const json& step : journal["steps"]) {
    const int attempts = step["attempts"].get<int>();
    EXPECT_GE(attempts, starts[step["name"]]) << step.dump();
    EXPECT_LE(attempts, starts[step["name"]] + 1) << step.dump();
  }
  EXPECT_GE(killed_mid_step, 1) << "no kill landed inside a step";
}

// A run that crashed inside restart-sync-leader after recording the pod to delete but before
// deleting it: the rerun deletes that pod (not a newer leader) and waits for its successor.
TEST(DrUpgradeTest, ResumesALeaderRestartThatCrashedBeforeTheDelete) {
  DrPair pair;
  ASSERT_TRUE(pair.WaitConsistent()) << pair.SyncLogs();
  auto plan = dr::BuildUpgradePlan(dr_testing::kFromVersion, kToVersion);
  ASSERT_TRUE(plan.ok());
  dr::Journal journal =
      dr::NewJournal("upgrade", plan->StepNames(), dr_testing::kFromVersion, kToVersion);
  for (dr::StepRecord& step : journal.steps) {
    if (step.name == "restart-sync-leader") {
      step.state = dr::StepState::kRunning;
      step.attempts = 1;
      break;
    }
    step.state = dr::StepState::kDone;
    step.attempts = 1;
  }
  journal.sequence = 40;
  journal.notes["restart-sync-leader"]["pods"] = {"etcd-sync-1"};
  std::ofstream(pair.dir().File("upgrade-journal.json")) << dr::JournalToJson(journal).dump(2);

  auto resumed = pair.RunAc("upgrade");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output << pair.SyncLogs();
  EXPECT_NE(resumed.output.find("step 10 of 12 (restart-sync-leader)"), std::string::npos)
      << resumed.output;
  EXPECT_NE(resumed.output.find("deleted etcd-sync pod cpaas-system/etcd-sync-1"),
            std::string::npos)
      << resumed.output;
  EXPECT_EQ(pair.sync_starts(), 2) << "the leader was restarted once, by the resumed step";
  EXPECT_EQ(pair.HistoryEntries(true, kToVersion), 0) << "done steps ran again";
  EXPECT_EQ(pair.CatalogSize(true), 0) << "done steps ran again";
}

// Also the platform-address connection: <address>/kubernetes/global with a token from the
// environment, and upgrade.sh given a private kubeconfig for it.
TEST(DrUpgradeTest, AStalledStageStopsTheRunWhichResumesAfterTheFix) {
  DrPair pair;
  ASSERT_TRUE(pair.WaitConsistent()) << pair.SyncLogs();
  pair.UseAddresses();
  ASSERT_TRUE(
      pair.standby()
          .MergePatch(
              platform::kClusterVersionShadows, platform::kPlatformNamespace, "global",
              {{"metadata", {{"annotations", {{"platform-sim.test/stall-stage", "Aligned"}}}}}})
          .ok());
  auto stalled = pair.RunAc("upgrade");
  EXPECT_EQ(stalled.exit_code, 1) << stalled.output;
  EXPECT_NE(stalled.output.find("[4/12] upgrade-standby          FAILED"), std::string::npos)
      << stalled.output;
  EXPECT_NE(stalled.output.find("stage Aligned failed"), std::string::npos) << stalled.output;
  EXPECT_NE(stalled.output.find("KUBECONFIG=(standby)"), std::string::npos) << stalled.output;
  // The command that resumes, with the flags that matter and the tokens named, not printed.
  EXPECT_NE(stalled.output.find("fix the cause and rerun: ac adm dr upgrade --primary-address "
                                "http://127.0.0.1:"),
            std::string::npos)
      << stalled.output;
  EXPECT_NE(stalled.output.find("--to 4.2.0 --package " + pair.package_dir()), std::string::npos)
      << stalled.output;
  EXPECT_NE(stalled.output.find("--journal " + pair.dir().File("upgrade-journal.json") +
                                "  # secrets from the environment: $AC_DR_PRIMARY_TOKEN, "
                                "$AC_DR_STANDBY_TOKEN"),
            std::string::npos)
      << stalled.output;
  EXPECT_EQ(stalled.output.find("dr-test-token"), std::string::npos) << "a token was printed";
  EXPECT_EQ(CurrentVersion(pair.primary()), dr_testing::kFromVersion)
      << "the primary must not be touched while the standby is stalled";
  EXPECT_EQ(pair.HistoryEntries(false, kToVersion), 0);
  EXPECT_FALSE(pair.sync_running()) << "the plugin stays uninstalled until both are done";

  ASSERT_TRUE(
      pair.standby()
          .MergePatch(
              platform::kClusterVersionShadows, platform::kPlatformNamespace, "global",
              {{"metadata", {{"annotations", {{"platform-sim.test/stall-stage", nullptr}}}}}})
          .ok());
  auto resumed = pair.RunAc("upgrade");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output << pair.SyncLogs();
  EXPECT_NE(resumed.output.find("upgrade-standby          standby"), std::string::npos);
  EXPECT_EQ(resumed.output.find("requested 4.2.0 on the standby"), std::string::npos)
      << "the resumed step requested the upgrade again:\n"
      << resumed.output;
  ExpectUpgradedPair(pair);
}

}  // namespace
