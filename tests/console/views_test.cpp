#include "console/views.h"

#include <gtest/gtest.h>

#include <sstream>

namespace console {
namespace {

using nlohmann::json;

upgrade::PlannedComponent Planned(const std::string& module, const std::string& current,
                                  std::vector<std::string> available, const std::string& target) {
  upgrade::Component c;
  c.name = "global-" + module;
  c.module = module;
  c.current = current;
  c.available = std::move(available);
  return {c, target, ""};
}

TEST(ComponentsViewTest, OffersOnlyVersionsAboveTheCurrentNewestFirst) {
  json view = ComponentsView("global", {Planned("logging", "4.1.2", {"4.1.0"}, ""),
                                        Planned("monitoring", "4.1.0", {"4.1.5", "4.2.0"}, "4.2.0"),
                                        Planned("kubernetes", "1.30.5", {"1.31.2"}, "1.31.2")});
  const json& components = view["components"];
  EXPECT_EQ(components[0]["offered"], json::array());
  EXPECT_EQ(components[0]["lowerOffered"], json::array({"4.1.0"}));
  EXPECT_EQ(components[0]["defaultTarget"], "");
  EXPECT_EQ(components[1]["offered"], json::array({"4.2.0", "4.1.5"}));
  EXPECT_EQ(components[1]["defaultTarget"], "4.2.0");
  EXPECT_TRUE(components[2]["kubernetes"].get<bool>());
  EXPECT_FALSE(components[1]["kubernetes"].get<bool>());
}

TEST(ChoicesFromJsonTest, TheDialogsAnswerBecomesChoicesWithoutForce) {
  auto choices = ChoicesFromJson(
      json::parse(R"({"targets":{"acp-base":"4.2.0","kubernetes":"1.31.2"},"skip":["tools"],
                      "noKubernetes":true,"force":true})"));
  ASSERT_TRUE(choices.ok()) << choices.status();
  EXPECT_EQ(choices->set.at("acp-base"), "4.2.0");
  EXPECT_EQ(choices->set.count("kubernetes"), 0u) << "noKubernetes wins";
  EXPECT_TRUE(choices->no_kubernetes);
  EXPECT_EQ(choices->skip.count("tools"), 1u);
  EXPECT_FALSE(choices->force) << "the console never forces a downgrade";
}

TEST(ChoicesFromJsonTest, RefusesWrongShapesAndTooMuch) {
  for (const char* body :
       {R"([])", R"({"targets":[]})", R"({"targets":{"a":1}})", R"({"targets":{"a":""}})",
        R"({"skip":[1]})", R"({"skip":"a"})", R"({"noKubernetes":"yes"})"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ChoicesFromJson(json::parse(body)).status())) << body;
  }
  json many = {{"skip", json::array()}};
  for (size_t i = 0; i <= kMaxChoices; ++i) many["skip"].push_back("m" + std::to_string(i));
  EXPECT_TRUE(absl::IsInvalidArgument(ChoicesFromJson(many).status()));
  json long_name = {{"targets", {{std::string(254, 'a'), "1.0"}}}};
  EXPECT_TRUE(absl::IsInvalidArgument(ChoicesFromJson(long_name).status()));
}

TEST(LeaderViewTest, NamesTheHolderAndMarksItsReplica) {
  json lease = {{"spec", {{"holderIdentity", "etcd-sync-2"}, {"leaseTransitions", 3}}}};
  json pods = {{"items",
                {{{"metadata", {{"name", "etcd-sync-1"}}}},
                 {{"metadata", {{"name", "etcd-sync-2"}}}, {"status", {{"phase", "Running"}}}}}}};
  json view = LeaderView(lease, pods);
  EXPECT_EQ(view["leader"], "etcd-sync-2");
  EXPECT_EQ(view["leaseTransitions"], 3);
  EXPECT_FALSE(view["replicas"][0]["leader"].get<bool>());
  EXPECT_TRUE(view["replicas"][1]["leader"].get<bool>());
  json none = LeaderView(absl::NotFoundError("no lease"), absl::UnavailableError("down"));
  EXPECT_EQ(none["leader"], "");
  EXPECT_EQ(none["leaseError"], "no lease");
  EXPECT_EQ(none["replicasError"], "down");
}

TEST(JournalViewTest, CountsStepsAndSaysHowToResume) {
  dr::Journal journal = dr::NewJournal("upgrade", {"check", "uninstall", "push"}, "4.1.0", "4.2.0");
  journal.steps[0].state = dr::StepState::kDone;
  journal.steps[1].state = dr::StepState::kFailed;
  json view = JournalView(journal, "/j/dr-upgrade-journal.json");
  EXPECT_EQ(view["done"], 1);
  EXPECT_EQ(view["failed"], 1);
  EXPECT_EQ(view["pending"], 1);
  // A journal of an earlier ac recorded no command: the console's own DR flags.
  EXPECT_EQ(view["resumeCommand"],
            "ac adm dr upgrade --to 4.2.0 --journal /j/dr-upgrade-journal.json");
  EXPECT_EQ(JournalView(
                journal, "/j/dr-upgrade-journal.json",
                "--primary-kubeconfig /k/p --standby-kubeconfig '/k/my standby'")["resumeCommand"],
            "ac adm dr upgrade --to 4.2.0 --primary-kubeconfig /k/p --standby-kubeconfig '/k/my "
            "standby' --journal /j/dr-upgrade-journal.json");
  // The command the run recorded wins: it has the flags that matter (no secret values).
  journal.resume_command =
      "ac adm dr upgrade --primary-address https://p --to 4.2.0 --journal /j/x.json  # secrets "
      "from the environment: $AC_DR_PRIMARY_TOKEN";
  EXPECT_EQ(JournalView(journal, "/j/x.json", "--primary-kubeconfig /k/p")["resumeCommand"],
            journal.resume_command);
  for (auto& step : journal.steps) step.state = dr::StepState::kDone;
  EXPECT_EQ(JournalView(journal, "j")["resumeCommand"], "");
}

TEST(JournalViewTest, ConnectionFlagsNameTheMonitorTokenFileNeverTheToken) {
  k8s::RestConfig nowhere;
  nowhere.server = "http://127.0.0.1:1";
  dr::DrOptions options;
  options.monitor_url = "https://monitor:8443";
  options.monitor_token = common::Secret("monitor-secret");
  options.monitor_token_file = "/etc/dr/monitor token";
  options.standby_vip = "10.0.0.9";
  options.primary_etcd_endpoints = {"https://10.0.0.1:2379", "https://10.0.0.2:2379"};
  std::ostringstream log;
  dr::DrContext context(std::move(options), dr::ClusterAccess{"primary", nowhere, "/k/p"},
                        dr::ClusterAccess{"standby", nowhere, "/k/s"}, log);
  const std::string flags = DrConnectionFlags(context);
  EXPECT_EQ(flags,
            "--primary-kubeconfig /k/p --standby-kubeconfig /k/s --monitor-url "
            "https://monitor:8443 --monitor-token-file '/etc/dr/monitor token' --standby-vip "
            "10.0.0.9 --primary-etcd-endpoints https://10.0.0.1:2379,https://10.0.0.2:2379");
  EXPECT_EQ(flags.find("monitor-secret"), std::string::npos);
}

TEST(ClusterViewTest, CarriesUpdatesAndThePreflight) {
  json cvsh = {{"metadata", {{"name", "global"}}},
               {"status",
                {{"current", {{"version", "4.1.0"}}},
                 {"availableUpdates", {{{"version", "4.2.0"}}, "junk"}},
                 {"preflight", {{"result", "Failed"}, {"checks", json::array()}}}}}};
  json view = ClusterView(cvsh, std::chrono::system_clock::now());
  EXPECT_EQ(view["cluster"], "global");
  EXPECT_EQ(view["availableUpdates"].size(), 1u);
  EXPECT_EQ(view["preflight"]["result"], "Failed");
  EXPECT_TRUE(ClusterView({{"metadata", {{"name", "x"}}}}, {})["preflight"].is_null());
}

}  // namespace
}  // namespace console
