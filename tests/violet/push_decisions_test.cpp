// violet push's decisions as tables: where a package's resources go, whether the platform is
// read, the upgrade rail and the standby warning, the registry and its credentials, two
// cluster names on one server, the summary; and how failures are classified (failure.h).
#include "violet/push_decisions.h"

#include <gtest/gtest.h>

#include "violet/failure.h"

namespace violet {
namespace {

using package::PackageType;

TEST(TargetClustersTest, BundlesFollowClustersPluginsAndChartsStayOnGlobal) {
  struct Case {
    PackageType type;
    std::vector<std::string> clusters;
    bool given;
    std::vector<std::string> want;
    std::string notice;  // a part of the notice, or "" for none
  };
  const std::vector<std::string> global{"global"};
  const std::vector<std::string> both{"global", "biz1"};
  const std::vector<std::string> biz1{"biz1"};
  for (const Case& c : {
           Case{PackageType::kOperatorBundle, global, false, global, ""},
           Case{PackageType::kOperatorBundle, both, true, both, ""},
           Case{PackageType::kOperatorBundle, biz1, true, biz1, ""},
           Case{PackageType::kClusterPlugin, global, false, global, ""},
           Case{PackageType::kClusterPlugin, global, true, global, ""},
           Case{PackageType::kClusterPlugin, both, true, global, "ModuleConfig affinity"},
           Case{PackageType::kChart, biz1, true, global, "ignored for charts"},
       }) {
    ClusterTargets targets = TargetClusters("p.tgz", c.type, c.clusters, c.given);
    EXPECT_EQ(targets.clusters, c.want) << package::TypeName(c.type);
    if (c.notice.empty()) {
      EXPECT_EQ(targets.notice, "") << package::TypeName(c.type);
    } else {
      EXPECT_NE(targets.notice.find(c.notice), std::string::npos) << targets.notice;
      EXPECT_NE(targets.notice.find("package p.tgz"), std::string::npos) << targets.notice;
    }
  }
}

TEST(ClustersToWriteTest, TheUnionOfEveryPackagesTargetsInOrderAndNoneForImagesOnly) {
  PushRequest request;
  request.clusters = {"biz1", "biz2"};
  request.clusters_given = true;
  EXPECT_EQ(ClustersToWrite(request, {PackageType::kChart, PackageType::kOperatorBundle}),
            (std::vector<std::string>{"global", "biz1", "biz2"}));
  EXPECT_EQ(ClustersToWrite(request, {PackageType::kOperatorBundle}),
            (std::vector<std::string>{"biz1", "biz2"}));
  EXPECT_EQ(ClustersToWrite(request, {}), std::vector<std::string>{});
  request.skip_crs = true;
  EXPECT_EQ(ClustersToWrite(request, {PackageType::kOperatorBundle}), std::vector<std::string>{});
}

TEST(DistinctServersTest, TwoNamesOnOneServerAreRefusedNamingBoth) {
  EXPECT_TRUE(DistinctServers({}).ok());
  EXPECT_TRUE(
      DistinctServers({{"global", "https://k:6443"}, {"biz1", "https://k:6443/kubernetes/biz1"}})
          .ok());
  absl::Status same = DistinctServers({{"global", "https://k:6443"}, {"biz1", "https://k:6443"}});
  ASSERT_TRUE(absl::IsInvalidArgument(same)) << same;
  for (const char* part : {"global and biz1", "https://k:6443"}) {
    EXPECT_NE(same.message().find(part), std::string::npos) << same;
  }
}

TEST(NeedsPlatformTest, OnlyImagesIntoANamedRegistryWithoutPlatformFlagsSkipsIt) {
  struct Case {
    bool skip_crs;
    std::string dest_repo, address, kubeconfig;
    bool want;
  };
  for (const Case& c : {Case{true, "r:5000", "", "", false}, Case{false, "r:5000", "", "", true},
                        Case{true, "", "", "", true}, Case{true, "r:5000", "https://acp", "", true},
                        Case{true, "r:5000", "", "/k", true}}) {
    PushRequest request;
    request.skip_crs = c.skip_crs;
    request.dest_repo = c.dest_repo;
    request.connection.platform_address = c.address;
    request.connection.kubeconfig = c.kubeconfig;
    EXPECT_EQ(NeedsPlatform(request), c.want)
        << c.skip_crs << " '" << c.dest_repo << "' '" << c.address << "' '" << c.kubeconfig << "'";
  }
}

// §4.1 step 4: create-CRs over several packages from 3.18/4.0 (to 4.1) takes TopoLVM apart.
TEST(TopolvmTest, CreateCrsOverADirectorySeparatesTopolvmFrom318To41) {
  EXPECT_TRUE(IsTopolvmPackage("topolvm-operator"));
  EXPECT_FALSE(IsTopolvmPackage("nfs"));
  PushRequest crs_only;
  crs_only.skip_push = true;
  EXPECT_TRUE(SeparateTopolvm(crs_only, 3, "v3.18.2"));
  EXPECT_TRUE(SeparateTopolvm(crs_only, 3, "4.0.3"));
  EXPECT_TRUE(SeparateTopolvm(crs_only, 3, "4.1.0"));
  EXPECT_FALSE(SeparateTopolvm(crs_only, 3, ""));
  EXPECT_FALSE(SeparateTopolvm(crs_only, 3, "4.2.0"));
  EXPECT_FALSE(SeparateTopolvm(crs_only, 3, "3.16.0"));
  EXPECT_FALSE(SeparateTopolvm(crs_only, 1, "4.0.3"));  // TopoLVM alone: nothing to leave out
  PushRequest whole;
  EXPECT_FALSE(SeparateTopolvm(whole, 3, "4.0.3"));  // images and CRs together
}

TEST(UpgradeRailTest, WorkloadBundlesWaitForTheGlobalUpgradeUnlessForced) {
  struct Case {
    bool skip_crs, any_bundle;
    std::vector<std::string> clusters;
    bool want_check;
  };
  for (const Case& c : {Case{false, true, {"global"}, false}, Case{false, true, {"biz1"}, true},
                        Case{false, true, {"global", "biz1"}, true},
                        Case{true, true, {"biz1"}, false}, Case{false, false, {"biz1"}, false}}) {
    PushRequest request;
    request.skip_crs = c.skip_crs;
    request.clusters = c.clusters;
    EXPECT_EQ(NeedsUpgradeCheck(request, c.any_bundle), c.want_check) << c.clusters.back();
  }
  EXPECT_EQ(DecideUpgradeRail("", false), RailDecision::kProceed);
  EXPECT_EQ(DecideUpgradeRail("", true), RailDecision::kProceed);
  EXPECT_EQ(DecideUpgradeRail("v4.3.0 is Partial", false), RailDecision::kRefuse);
  EXPECT_EQ(DecideUpgradeRail("v4.3.0 is Partial", true), RailDecision::kWarn);
}

TEST(StandbyWarningTest, OnlyWhenImagesGoToTheSyncedRegistryAddress) {
  struct Case {
    std::string role, dest_repo;
    bool skip_push, want;
  };
  for (const Case& c : {Case{"standby", "", false, true}, Case{"primary", "", false, false},
                        Case{"", "", false, false}, Case{"standby", "10.0.0.2:11443", false, false},
                        Case{"standby", "", true, false}}) {
    PushRequest request;
    request.dest_repo = c.dest_repo;
    request.skip_push = c.skip_push;
    EXPECT_EQ(WarnStandby(c.role, request), c.want) << c.role << " " << c.dest_repo;
  }
}

TEST(ChooseRegistryTest, DestRepoOrThePlatformsAndFlagCredentialsWin) {
  platform::Registry platform;
  platform.address = "10.0.0.10:11443";
  platform.username = "admin";
  platform.password = common::Secret("platform pass");
  platform.where_from = "ProductBase base spec.registry.address";
  struct Case {
    std::string dest_repo, username;
    bool no_auth, plain;
    std::string want_host, want_user;
    bool want_plain;
  };
  for (const Case& c : {
           Case{"", "", false, false, "10.0.0.10:11443", "admin", false},
           Case{"", "", true, false, "10.0.0.10:11443", "", false},
           Case{"", "pusher", false, true, "10.0.0.10:11443", "pusher", true},
           Case{"http://[fd00::1]:5000", "", true, false, "[fd00::1]:5000", "", true},
           Case{"harbor.example.com", "pusher", false, false, "harbor.example.com", "pusher",
                false},
       }) {
    PushRequest request;
    request.dest_repo = c.dest_repo;
    request.username = c.username;
    if (!c.username.empty()) request.password = common::Secret("flag pass");
    request.no_auth = c.no_auth;
    request.plain = c.plain;
    auto options =
        ChooseRegistry(request, c.dest_repo.empty() ? std::optional(platform) : std::nullopt);
    ASSERT_TRUE(options.ok()) << options.status();
    EXPECT_EQ(options->host, c.want_host);
    EXPECT_EQ(options->credentials.username, c.want_user) << c.want_host;
    EXPECT_EQ(options->transport.plain, c.want_plain) << c.want_host;
  }
  platform.address = "fd00::1";  // not a host: the message names where it came from
  auto bad = ChooseRegistry(PushRequest(), platform);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("ProductBase base"), std::string::npos) << bad.status();
}

TEST(PushSummaryTest, CountsAndNothingChangedOnlyWhenNothingDid) {
  EXPECT_EQ(FormatPushSummary({.packages_ok = 1, .images_present = 2, .unchanged = 2}),
            "Summary: 1 package(s) done, 0 failed; images: 0 pushed, 2 already present; custom "
            "resources: 0 created, 0 updated, 2 unchanged\n"
            "Nothing changed: every image and custom resource was already in place.\n");
  for (PushTotals changed :
       {PushTotals{.packages_ok = 1, .images_pushed = 1},
        PushTotals{.packages_ok = 1, .created = 1}, PushTotals{.packages_ok = 1, .updated = 1},
        PushTotals{.packages_failed = 1}}) {
    EXPECT_EQ(FormatPushSummary(changed).find("Nothing changed"), std::string::npos);
  }
}

TEST(FailureTest, ClusterAndRegistryFailuresAreClassified) {
  platform::Connection token;
  token.platform_token = common::Secret("t");
  platform::Connection basic;
  struct Case {
    absl::Status status;
    FailureKind cluster, registry_connecting, registry_later;
  };
  for (const Case& c : {
           Case{absl::UnauthenticatedError("401"), FailureKind::kCredentialsRefused,
                FailureKind::kCredentialsRefused, FailureKind::kCredentialsRefused},
           Case{absl::PermissionDeniedError("403"), FailureKind::kCredentialsRefused,
                FailureKind::kCredentialsRefused, FailureKind::kCredentialsRefused},
           Case{absl::UnavailableError("refused"), FailureKind::kClusterUnreachable,
                FailureKind::kRegistryUnreachable, FailureKind::kStep},
           Case{absl::InvalidArgumentError("422"), FailureKind::kClusterUnreachable,
                FailureKind::kRegistryUnreachable, FailureKind::kStep},
       }) {
    EXPECT_EQ(ClusterFailure(c.status, token).kind(), c.cluster) << c.status;
    EXPECT_EQ(RegistryFailure(c.status, true).kind(), c.registry_connecting) << c.status;
    EXPECT_EQ(RegistryFailure(c.status, false).kind(), c.registry_later) << c.status;
  }
  Outcome refused = ClusterFailure(absl::UnauthenticatedError("HTTP 401"), token);
  EXPECT_NE(refused.status().message().find("check --platform-token"), std::string::npos);
  refused = ClusterFailure(absl::UnauthenticatedError("HTTP 401"), basic);
  EXPECT_NE(refused.status().message().find("check --platform-username/--platform-password"),
            std::string::npos);

  EXPECT_TRUE(Outcome().ok());
  Outcome empty(FailureKind::kStep, absl::OkStatus());  // a bug, but never a success
  EXPECT_FALSE(empty.ok());
  Outcome step(FailureKind::kStep, absl::UnavailableError("x"));
  EXPECT_FALSE(step.reported());
  EXPECT_TRUE(step.Reported().reported());
  EXPECT_EQ(step.Reported().kind(), FailureKind::kStep);
}

}  // namespace
}  // namespace violet
