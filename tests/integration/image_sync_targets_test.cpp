// image-sync into several registries in one run (a DR pair: standby and primary): every
// --registry gets every image, a registry that is down fails alone (its own exit code and
// line) while the others finish, and --output json reports each target.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "bundle/digest.h"
#include "bundle/oci_layout.h"
#include "support/etcd_member.h"
#include "support/registry_server.h"
#include "support/temp_dir.h"

namespace {

using testing_support::CommandResult;
using testing_support::RegistryServer;
using testing_support::RunCommand;
using testing_support::RunScript;
using testing_support::TempDir;

const std::string kSource = PROJECT_SOURCE_DIR;

class ImageSyncTargetsTest : public ::testing::Test {
 protected:
  ImageSyncTargetsTest() {
    RunScript(std::string(MAKE_SAMPLE_BUNDLE_BINARY) + " '" + bundle_ + "' --images 3");
  }
  CommandResult ImageSync(const std::string& args) {
    return RunCommand(std::string(IMAGE_SYNC_BINARY) + " --progress none --plain --bundle '" +
                      bundle_ + "' " + args);
  }
  void ExpectAllImagesServed(const std::string& address) {
    const bundle::OciLayout layout = bundle::OciLayout::Open(bundle_).value();
    for (const auto& image : layout.images()) {
      CommandResult raw = RunCommand("skopeo inspect --raw --tls-verify=false docker://" + address +
                                     "/" + image.name.ToString());
      ASSERT_EQ(raw.exit_code, 0) << address << " " << image.name.ToString() << raw.output;
      EXPECT_EQ(bundle::Sha256Digest(raw.output), image.root.descriptor.digest)
          << address << " " << image.name.ToString();
    }
  }
  // The JSON document of --output json: the output's first '{' to its last '}'.
  nlohmann::json Summary(const std::string& output) {
    const size_t open = output.find('{'), close = output.rfind('}');
    if (open == std::string::npos || close == std::string::npos) return {};
    return nlohmann::json::parse(output.substr(open, close - open + 1), nullptr, false);
  }

  TempDir dir_;
  std::string bundle_ = dir_.File("bundle");
};

TEST_F(ImageSyncTargetsTest, EveryRegistryGetsEveryImageInOneRun) {
  RegistryServer standby(dir_.path(), "standby"), primary(dir_.path(), "primary");
  CommandResult pushed = ImageSync("--registry " + standby.address() + " --registry " +
                                   primary.address() + " --output json");
  ASSERT_EQ(pushed.exit_code, 0) << pushed.output;
  ExpectAllImagesServed(standby.address());
  ExpectAllImagesServed(primary.address());
  const nlohmann::json summary = Summary(pushed.output);
  ASSERT_TRUE(summary.contains("targets")) << pushed.output;
  ASSERT_EQ(summary["targets"].size(), 2u) << pushed.output;
  EXPECT_EQ(summary["targets"][0]["registry"], standby.address());
  EXPECT_EQ(summary["targets"][1]["registry"], primary.address());
  for (const auto& target : summary["targets"]) {
    EXPECT_EQ(target["exitCode"], 0) << target.dump();
    EXPECT_EQ(target["images"]["pushed"], 3) << target.dump();
    EXPECT_GT(target["bytes"]["uploaded"].get<int64_t>(), 0) << target.dump();
  }

  // The same registry twice is a mistake, said in one line.
  CommandResult twice =
      ImageSync("--registry " + standby.address() + " --registry " + standby.address());
  EXPECT_EQ(twice.exit_code, 2) << twice.output;
  EXPECT_NE(twice.output.find("given twice"), std::string::npos) << twice.output;
}

TEST_F(ImageSyncTargetsTest, ARegistryThatIsDownFailsAloneWithItsOwnLine) {
  RegistryServer primary(dir_.path(), "primary");
  const std::string closed =
      "127.0.0.1:" + RunScript("bash -c '. \"" + kSource + "/scripts/lib/ports.sh\" && free_port'");
  CommandResult pushed =
      ImageSync("--registry " + closed + " --registry " + primary.address() + " --output json");
  EXPECT_EQ(pushed.exit_code, 5) << pushed.output;  // the first failure's code
  ExpectAllImagesServed(primary.address());
  EXPECT_NE(pushed.output.find("registry " + closed + " (exit 5)"), std::string::npos)
      << pushed.output;
  EXPECT_NE(pushed.output.find("1 of 2 registries done"), std::string::npos) << pushed.output;
  const nlohmann::json summary = Summary(pushed.output);
  ASSERT_EQ(summary["targets"].size(), 2u) << pushed.output;
  EXPECT_EQ(summary["targets"][0]["exitCode"], 5);
  EXPECT_EQ(summary["targets"][1]["exitCode"], 0);
  EXPECT_EQ(summary["targets"][1]["images"]["pushed"], 3);

  // Re-run with both up: the done one is a no-op, only the other is pushed.
  RegistryServer standby(dir_.path(), "standby");
  CommandResult again = ImageSync("--registry " + standby.address() + " --registry " +
                                  primary.address() + " --output json");
  ASSERT_EQ(again.exit_code, 0) << again.output;
  const nlohmann::json second = Summary(again.output);
  EXPECT_EQ(second["targets"][0]["images"]["pushed"], 3) << again.output;
  EXPECT_EQ(second["targets"][1]["images"]["present"], 3) << again.output;
  ExpectAllImagesServed(standby.address());
}

}  // namespace
