// Real kubectl reads back what `violet push` wrote (Artifact, ArtifactVersion) through a
// TLS + token stand-in API server over the same etcd. Skipped when kubectl is missing.
#include <gtest/gtest.h>

#include "apiserver/platform_table.h"
#include "integration/kubectl_runner.h"
#include "integration/violet_fixture.h"

namespace testing_support {
namespace {

TEST_F(VioletTest, KubectlReadsBackWhatVioletPushWrote) {
  if (!HaveKubectl()) GTEST_SKIP() << "kubectl not installed (scripts/install-deps.sh)";
  CommandResult pushed = RunViolet(Push(packages_));
  ASSERT_EQ(pushed.exit_code, 0) << pushed.output;
  KubectlRunner kubectl(global_etcd_.client(), apiserver::PlatformResourceTable(),
                        dir_.File("kubectl"));
  ASSERT_TRUE(kubectl.Start().ok());
  KubectlRun artifact = kubectl.Run(
      "get artifacts.app.alauda.io -n cpaas-system operatorhub-topolvm-operator -o json");
  ASSERT_EQ(artifact.exit_code, 0) << artifact.output;
  const nlohmann::json object = nlohmann::json::parse(artifact.output);
  EXPECT_EQ(object["spec"]["repository"], "acp/topolvm-operator-bundle");
  EXPECT_EQ(object["spec"]["type"], "bundle");
  KubectlRun tag = kubectl.Run(
      "get artifactversions -n cpaas-system operatorhub-topolvm-operator.v2.3.0 "
      "-o jsonpath='{.spec.tag}'");
  ASSERT_EQ(tag.exit_code, 0) << tag.output;
  EXPECT_EQ(tag.output, "v2.3.0");
  KubectlRun labelled = kubectl.Run(
      "get artifactversions -n cpaas-system -l "
      "cpaas.io/artifact-version=operatorhub-topolvm-operator -o name");
  ASSERT_EQ(labelled.exit_code, 0) << labelled.output;
  EXPECT_NE(labelled.output.find("operatorhub-topolvm-operator.v2.3.0"), std::string::npos)
      << labelled.output;
}

}  // namespace
}  // namespace testing_support
