// The DR steps of issue 21 against stand-in API servers (acp-spec §5, §8.3-§8.7): the 4.3.1+
// token Secret copied from the active cluster's k8sadmin, the legacy plain-token removal,
// ES/VictoriaMetrics restarted on the standby, coredns restarted when the DNS check failed,
// and warlock restarted on a workload cluster reached through the new primary's proxy.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "apiserver/api_server.h"
#include "apiserver/platform_table.h"
#include "common/base64.h"
#include "dr/dr_context.h"
#include "dr/failover_steps.h"
#include "dr/plugin_steps.h"
#include "platform/resources.h"
#include "support/etcd_member.h"
#include "support/temp_dir.h"

namespace dr {
namespace {

using nlohmann::json;

constexpr const char* kToken = "dr-steps-token";

class DrStepsTest : public ::testing::Test {
 protected:
  DrStepsTest()
      : active_etcd_(dir_.path(), "active"),
        standby_etcd_(dir_.path(), "standby"),
        workload_etcd_(dir_.path(), "work-1") {
    active_api_ = Api(active_etcd_, {});
    standby_api_ = Api(standby_etcd_, {{"work-1", &workload_etcd_.client()}});
    const std::string kubeconfig = dir_.File("standby.kubeconfig");
    std::ofstream(kubeconfig) << "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
                                 "    server: "
                              << standby_api_->url()
                              << "\nusers:\n- name: u\n  user:\n    token: " << kToken
                              << "\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\n"
                                 "current-context: x\n";
    standby_connection_.kubeconfig = kubeconfig;
  }

  static std::unique_ptr<apiserver::ApiServer> Api(testing_support::EtcdMember& etcd,
                                                   std::map<std::string, etcd::Client*> clusters) {
    apiserver::ApiServerOptions options;
    options.resources = apiserver::PlatformResourceTable();
    options.token = common::Secret(kToken);
    options.platform_clusters = std::move(clusters);
    auto server = std::make_unique<apiserver::ApiServer>(etcd.client(), std::move(options));
    EXPECT_TRUE(server->Start().ok());
    return server;
  }
  static k8s::RestConfig Config(const std::string& server) {
    k8s::RestConfig config;
    config.server = server;
    config.token = common::Secret(kToken);
    return config;
  }
  std::unique_ptr<DrContext> Context(DrOptions options) {
    return std::make_unique<DrContext>(
        std::move(options), ClusterAccess{"primary", Config(active_api_->url()), ""},
        ClusterAccess{"standby", Config(standby_api_->url()), "", standby_connection_}, out_);
  }
  // Runs one step function with a fresh one-step journal.
  absl::Status RunStep(DrContext& context, const std::string& name,
                       absl::Status (*action)(DrContext&, StepRun&), Journal* journal = nullptr) {
    Journal own = NewJournal("test", {name}, "", "");
    Journal& used = journal ? *journal : own;
    if (!used.Find(name)) used.steps.emplace_back(name);
    StepRun run{used, [] { return absl::OkStatus(); }, out_, name};
    absl::Status status = action(context, run);
    message_ = used.Find(name)->message;
    return status;
  }
  static void Create(k8s::RestClient& client, const k8s::ResourceRef& ref, const std::string& ns,
                     json object) {
    auto created = client.Create(ref, ns, object);
    ASSERT_TRUE(created.ok()) << created.status();
  }
  static json Pod(const std::string& name, json labels) {
    return {
        {"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", {{"name", name}, {"labels", labels}}}};
  }
  static size_t Count(k8s::RestClient& client, const std::string& ns, const std::string& selector) {
    auto pods = client.List(platform::kPods, ns, selector);
    EXPECT_TRUE(pods.ok()) << pods.status();
    return pods.ok() ? (*pods)["items"].size() : 0;
  }

  testing_support::TempDir dir_;
  testing_support::EtcdMember active_etcd_, standby_etcd_, workload_etcd_;
  std::unique_ptr<apiserver::ApiServer> active_api_, standby_api_;
  platform::Connection standby_connection_;
  std::ostringstream out_;
  std::string message_;
};

TEST_F(DrStepsTest, TheTokenSecretComesFromTheActiveClustersK8sadmin) {
  DrOptions options;
  options.target_version = "4.3.1";
  auto context = Context(options);
  absl::Status missing = RunStep(*context, "create-active-token", CreateActiveToken);
  EXPECT_TRUE(absl::IsFailedPrecondition(missing)) << missing;
  EXPECT_NE(std::string(missing.message()).find("Secret cpaas-system/k8sadmin"), std::string::npos);

  const std::string encoded = common::EncodeBase64("the-active-token");
  Create(context->primary_client(), platform::kSecrets, platform::kPlatformNamespace,
         {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", {{"name", "k8sadmin"}, {"namespace", platform::kPlatformNamespace}}},
          {"data", {{"token", encoded}}}});
  ASSERT_TRUE(RunStep(*context, "create-active-token", CreateActiveToken).ok()) << out_.str();
  auto secret = context->standby_client().Get(platform::kSecrets, platform::kPlatformNamespace,
                                              kActiveTokenSecret);
  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_EQ((*secret)["data"]["token"], encoded);
  EXPECT_NE(out_.str().find("etcd-sync-active-cluster-token on the standby created"),
            std::string::npos)
      << out_.str();
  EXPECT_EQ(out_.str().find("the-active-token"), std::string::npos) << "the token was printed";
  EXPECT_EQ(out_.str().find(encoded), std::string::npos) << "the token was printed";
  EXPECT_NE(message_.find("etcd-sync-bootstrap"), std::string::npos) << message_;
  ASSERT_TRUE(RunStep(*context, "create-active-token", CreateActiveToken).ok());
  EXPECT_NE(out_.str().find("on the standby unchanged"), std::string::npos) << out_.str();

  DrOptions older;
  older.target_version = "4.3.0";
  auto before = Context(older);
  ASSERT_TRUE(RunStep(*before, "create-active-token", CreateActiveToken).ok());
  EXPECT_EQ(message_, "not needed: 4.3.0 is before 4.3.1");
}

TEST_F(DrStepsTest, LegacyTokenIsRemovedFromThePluginAndTheJournal) {
  DrOptions options;
  options.target_version = "4.3.1";
  auto context = Context(options);
  const json plugin = {
      {"apiVersion", "cluster.alauda.io/v1alpha1"},
      {"kind", "ModuleInfo"},
      {"metadata",
       {{"name", "global-etcd-sync"},
        {"labels", {{"cpaas.io/module-name", "etcd-sync"}, {"cpaas.io/cluster-name", "global"}}}}},
      {"spec",
       {{"version", "4.3.1"}, {"config", {{"active-token", "plain"}, {"check-interval", 300}}}}}};
  Create(context->standby_client(), platform::kModuleInfos, "", plugin);
  Journal journal = NewJournal("upgrade", {"remove-legacy-token"}, "4.3.0", "4.3.1");
  journal.saved_plugin = plugin;
  ASSERT_TRUE(RunStep(*context, "remove-legacy-token", RemoveLegacyToken, &journal).ok());
  auto now = context->standby_client().Get(platform::kModuleInfos, "", "global-etcd-sync");
  ASSERT_TRUE(now.ok());
  EXPECT_FALSE((*now)["spec"]["config"].contains("active-token")) << now->dump();
  EXPECT_EQ((*now)["spec"]["config"]["check-interval"], 300);
  EXPECT_FALSE(journal.saved_plugin["spec"]["config"].contains("active-token"));
  EXPECT_EQ(message_, "1 legacy token field(s) removed");
  ASSERT_TRUE(RunStep(*context, "remove-legacy-token", RemoveLegacyToken, &journal).ok());
  EXPECT_EQ(message_, "no legacy plain-token configuration");
}

TEST_F(DrStepsTest, PodRestartsOnTheStandbyCorednsAndWorkloadWarlock) {
  DrOptions options;
  options.domain = "acp.example.com";
  auto context = Context(options);
  k8s::RestClient& standby = context->standby_client();
  for (const char* service : {"cpaas-elasticsearch", "vmselect", "alertmanager", "sentry"}) {
    Create(standby, platform::kPods, platform::kPlatformNamespace,
           Pod(std::string(service) + "-0", {{"service_name", service}}));
  }
  // §8.4: ES and VictoriaMetrics restarted on the standby, nothing else.
  ASSERT_TRUE(RunStep(*context, "restart-standby-pods", [](DrContext& c, StepRun& run) {
                return RestartPlatformPods(c, run, true, StandbyRestartServices());
              }).ok());
  EXPECT_EQ(Count(standby, platform::kPlatformNamespace, "service_name=vmselect"), 0u);
  EXPECT_EQ(Count(standby, platform::kPlatformNamespace, "service_name=cpaas-elasticsearch"), 0u);
  EXPECT_EQ(Count(standby, platform::kPlatformNamespace, "service_name=sentry"), 1u);
  EXPECT_EQ(message_, "3 pod(s) restarted");

  // §8.7 step 6: confirmed; with --restart-coredns the coredns pods go and the step blocks.
  Create(standby, platform::kPods, "kube-system", Pod("coredns-1", {{"k8s-app", "kube-dns"}}));
  ASSERT_TRUE(RunStep(*context, "check-dns", CheckDnsStep).ok());
  EXPECT_EQ(Count(standby, "kube-system", "k8s-app=kube-dns"), 1u);
  DrOptions restart = options;
  restart.restart_coredns = true;
  auto restarting = Context(restart);
  absl::Status blocked = RunStep(*restarting, "check-dns", CheckDnsStep);
  EXPECT_TRUE(absl::IsFailedPrecondition(blocked)) << blocked;
  EXPECT_NE(std::string(blocked.message())
                .find("kubectl exec -it -n cpaas-system deployments/sentry -- nslookup "
                      "acp.example.com"),
            std::string::npos)
      << blocked;
  EXPECT_EQ(Count(standby, "kube-system", "k8s-app=kube-dns"), 0u);

  // §8.7 step 9: warlock on the workload clusters the new primary lists, through its proxy.
  ASSERT_TRUE(RunStep(*context, "restart-warlock", RestartWarlockOnWorkloads).ok());
  EXPECT_EQ(message_, "no workload clusters on the new primary");
  for (const char* name : {"global", "work-1"}) {
    Create(standby, platform::kClusters, "",
           {{"apiVersion", "platform.tkestack.io/v1"},
            {"kind", "Cluster"},
            {"metadata", {{"name", name}}},
            {"spec", json::object()}});
  }
  k8s::RestClient workload(Config(standby_api_->url() + "/kubernetes/work-1"));
  Create(workload, platform::kPods, platform::kPlatformNamespace,
         Pod("warlock-0", {{"service_name", "warlock"}}));
  ASSERT_TRUE(RunStep(*context, "restart-warlock", RestartWarlockOnWorkloads).ok()) << out_.str();
  EXPECT_EQ(Count(workload, platform::kPlatformNamespace, "service_name=warlock"), 0u);
  EXPECT_EQ(message_, "1 warlock pod(s) restarted on 1 workload cluster(s)");
  EXPECT_NE(out_.str().find("restarted cluster work-1: cpaas-system/warlock-0"), std::string::npos)
      << out_.str();
}

}  // namespace
}  // namespace dr
