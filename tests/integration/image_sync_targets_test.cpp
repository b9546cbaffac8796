// image-sync into several registries in one run (a DR pair: standby and primary): every
// --registry gets every image, a registry that is down fails alone (its own exit code and
// line) while the others finish, and --output json reports each target.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
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

// upgrade.sh --only-sync-image with a DR pair: both registries in one run, each with its own
// login from the auth file (different users), and the plugin packages' images go to both.
TEST_F(ImageSyncTargetsTest, UpgradeShSyncsBothRegistriesWithTheirOwnLogins) {
  const std::string certs = dir_.File("certs");
  RunScript(kSource + "/scripts/gen-test-certs.sh '" + certs + "'");
  RunScript("htpasswd -cbB '" + dir_.File("standby.htpasswd") + "' alice 'pa ss'");
  RunScript("htpasswd -cbB '" + dir_.File("primary.htpasswd") + "' bob 'b0b'");
  const std::string plugins = dir_.File("plugins");
  RunScript(kSource + "/scripts/make-sample-packages.sh '" + plugins + "'");
  RegistryServer standby(dir_.path(), "standby", certs, dir_.File("standby.htpasswd"));
  RegistryServer primary(dir_.path(), "primary", certs, dir_.File("primary.htpasswd"));
  std::ofstream(dir_.File("auth.json"))
      << R"({"auths":{")" << standby.address() << R"(":{"auth":"YWxpY2U6cGEgc3M="},")"
      << primary.address() << R"(":{"auth":"Ym9iOmIwYg=="}}})";  // alice:pa ss, bob:b0b
  const std::string upgrade =
      "env -u REGISTRY_AUTH_FILE UPGRADE_CORE_BIN=" + std::string(UPGRADE_CORE_BINARY) +
      " IMAGE_SYNC_BIN=" + IMAGE_SYNC_BINARY + " VIOLET_BIN=" + VIOLET_BINARY +
      " VIOLET_KEYRING='" + plugins + "/violet-sample-key.asc' bash " + kSource +
      "/upgrade.sh --only-sync-image --bundle '" + bundle_ + "' --plugins '" + plugins +
      "' --registry " + standby.address() + " --registry " + primary.address() + " --ca-file " +
      certs + "/ca.crt --authfile " + dir_.File("auth.json");
  CommandResult pushed = RunCommand(upgrade);
  ASSERT_EQ(pushed.exit_code, 0) << pushed.output;
  EXPECT_EQ(pushed.output.find("pa ss"), std::string::npos) << pushed.output;
  const std::string skopeo_certs = dir_.File("skopeo-certs");
  std::filesystem::create_directories(skopeo_certs);
  std::filesystem::copy_file(certs + "/ca.crt", skopeo_certs + "/ca.crt");
  const bundle::OciLayout layout = bundle::OciLayout::Open(bundle_).value();
  for (const auto& [address, creds] : std::vector<std::pair<std::string, std::string>>{
           {standby.address(), "alice:pa ss"}, {primary.address(), "bob:b0b"}}) {
    // One image of the bundle and one of a plugin package: image-sync's own test proves
    // every digest; this one proves both registries got both kinds, with their own logins.
    const std::vector<std::string> images = {layout.images().front().name.ToString(),
                                             "acp/cloudedge-plugin:v0.3.16"};
    for (const std::string& image : images) {
      CommandResult inspected =
          RunCommand("skopeo inspect --raw --cert-dir " + skopeo_certs + " --creds '" + creds +
                     "' docker://" + address + "/" + image);
      EXPECT_EQ(inspected.exit_code, 0) << address << "/" << image << ": " << inspected.output;
    }
  }
  // Several registries are for the image sync only.
  CommandResult trigger =
      RunCommand("UPGRADE_CORE_BIN=" + std::string(UPGRADE_CORE_BINARY) + " bash " + kSource +
                 "/upgrade.sh --skip-sync-image "
                 "--registry a:1 --registry b:2");
  EXPECT_EQ(trigger.exit_code, 2) << trigger.output;
  EXPECT_NE(trigger.output.find("several --registry go with --only-sync-image"), std::string::npos)
      << trigger.output;
}

}  // namespace
