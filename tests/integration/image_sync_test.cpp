// image-sync and upgrade.sh against a real registry (docker-registry): plain HTTP, TLS with
// a generated CA, htpasswd Basic auth; every image pulled back with skopeo to prove the
// digests; corrupt bundles, wrong or missing credentials and re-runs as operators see them.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

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

int Lines(const std::string& text) {
  int lines = 0;
  for (char c : text) lines += c == '\n';
  return lines;
}

class ImageSyncTest : public ::testing::Test {
 protected:
  // upgrade.sh runs this build's upgrade-core, whatever the build directory is called.
  ImageSyncTest() { setenv("UPGRADE_CORE_BIN", UPGRADE_CORE_BINARY, 1); }
  void MakeBundle(int images = 8) {
    RunScript(std::string(MAKE_SAMPLE_BUNDLE_BINARY) + " '" + bundle_ + "' --images " +
              std::to_string(images));
  }
  // skopeo's --cert-dir takes every *.crt as a CA and pairs *.key with client certs.
  std::string SkopeoCertDir(const std::string& certs) {
    const std::string dir = dir_.File("skopeo-certs");
    std::filesystem::create_directories(dir);
    std::filesystem::copy_file(certs + "/ca.crt", dir + "/ca.crt",
                               std::filesystem::copy_options::overwrite_existing);
    return dir;
  }
  bundle::OciLayout Layout() { return bundle::OciLayout::Open(bundle_).value(); }

  CommandResult ImageSync(const std::string& registry, const std::string& args) {
    return RunCommand(std::string(IMAGE_SYNC_BINARY) + " --progress none --bundle '" + bundle_ +
                      "' --registry " + registry + " " + args);
  }

  // Digest of what the registry serves for `ref`, read by skopeo (an independent client).
  std::string SkopeoDigest(const std::string& image, const std::string& tls_args) {
    CommandResult raw = RunCommand("skopeo inspect --raw " + tls_args + " docker://" + image);
    if (raw.exit_code != 0) return "error: " + raw.output;
    return bundle::Sha256Digest(raw.output);
  }

  void ExpectAllImagesServed(const std::string& address, const std::string& tls_args) {
    const bundle::OciLayout layout = Layout();
    for (const auto& image : layout.images()) {
      EXPECT_EQ(SkopeoDigest(address + "/" + image.name.ToString(), tls_args),
                image.root.descriptor.digest)
          << image.name.ToString();
    }
  }

  TempDir dir_;
  std::string bundle_ = dir_.File("bundle");
};

TEST_F(ImageSyncTest, PlainHttpPushIsExactAndReRunIsANoOp) {
  MakeBundle();
  RegistryServer registry(dir_.path(), "plain");
  CommandResult first = ImageSync(registry.address(), "--plain --parallel 4");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("8 images: 8 pushed"), std::string::npos) << first.output;
  EXPECT_NE(first.output.find("mounted"), std::string::npos);
  ExpectAllImagesServed(registry.address(), "--tls-verify=false");
  // skopeo copies a multi-arch image out, verifying every layer digest on the way.
  CommandResult copy =
      RunCommand("skopeo copy --all --src-tls-verify=false docker://" + registry.address() +
                 "/acp/component-3:v1 oci:" + dir_.File("pulled") + ":x");
  EXPECT_EQ(copy.exit_code, 0) << copy.output;

  CommandResult again = ImageSync(registry.address(), "--plain");
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("0 pushed, 8 already present"), std::string::npos) << again.output;
  EXPECT_NE(again.output.find("0 uploaded (0 B), 0 mounted"), std::string::npos);
}

TEST_F(ImageSyncTest, TlsWithCaAndBasicAuthThroughUpgradeSh) {
  MakeBundle();
  const std::string certs = dir_.File("certs");
  RunScript(kSource + "/scripts/gen-test-certs.sh '" + certs + "'");
  RunScript("htpasswd -cbB '" + dir_.File("htpasswd") + "' alice 'pa ss'");
  RegistryServer registry(dir_.path(), "secure", certs, dir_.File("htpasswd"));
  const std::string upgrade = "IMAGE_SYNC_BIN=" + std::string(IMAGE_SYNC_BINARY) + " bash " +
                              kSource + "/upgrade.sh --only-sync-image=true --bundle '" + bundle_ +
                              "' --registry " + registry.address() + " --ca-file " + certs +
                              "/ca.crt --username alice ";
  CommandResult pushed = RunCommand(upgrade + "--password 'pa ss' --chunk-size 1");
  ASSERT_EQ(pushed.exit_code, 0) << pushed.output;
  EXPECT_EQ(pushed.output.find("pa ss"), std::string::npos);
  const std::string tls = "--cert-dir " + SkopeoCertDir(certs) + " --creds 'alice:pa ss'";
  ExpectAllImagesServed(registry.address(), tls);

  // Wrong password: one line naming the user and the flags to check, nothing leaked.
  CommandResult wrong = RunCommand(upgrade + "--password 'wrong-secret'");
  EXPECT_EQ(wrong.exit_code, 4) << wrong.output;
  EXPECT_EQ(Lines(wrong.output), 1) << wrong.output;
  EXPECT_NE(wrong.output.find("rejected the credentials of user \"alice\""), std::string::npos);
  EXPECT_EQ(wrong.output.find("wrong-secret"), std::string::npos);

  // Legacy --target-creds (base64 of user:password) and a re-run that does nothing.
  CommandResult legacy =
      RunCommand("IMAGE_SYNC_BIN=" + std::string(IMAGE_SYNC_BINARY) + " bash " + kSource +
                 "/upgrade.sh --only-sync-image " + "--bundle '" + bundle_ + "' --registry " +
                 registry.address() + " --ca-file " + certs +
                 "/ca.crt --target-creds $(printf %s 'alice:pa ss' | base64)");
  EXPECT_EQ(legacy.exit_code, 0) << legacy.output;
  EXPECT_NE(legacy.output.find("8 already present"), std::string::npos) << legacy.output;
}

// Era B: upgrade.sh --only-sync-image also pushes the images of the core package's plugin
// packages (plugins/*.tgz, through violet push --skip-crs), with the same registry, TLS and
// credentials, and no cluster to talk to.
TEST_F(ImageSyncTest, PluginPackagesImagesGoWithTheSync) {
  MakeBundle(3);
  const std::string certs = dir_.File("certs");
  RunScript(kSource + "/scripts/gen-test-certs.sh '" + certs + "'");
  RunScript("htpasswd -cbB '" + dir_.File("htpasswd") + "' alice 'pa ss'");
  const std::string plugins = dir_.File("plugins");
  RunScript(kSource + "/scripts/make-sample-packages.sh '" + plugins + "'");
  RegistryServer registry(dir_.path(), "plugins", certs, dir_.File("htpasswd"));
  std::ofstream(dir_.File("password")) << "pa ss\n";
  const std::string upgrade =
      "IMAGE_SYNC_BIN=" + std::string(IMAGE_SYNC_BINARY) +
      " VIOLET_BIN=" + std::string(VIOLET_BINARY) + " VIOLET_KEYRING='" + plugins +
      "/violet-sample-key.asc' bash " + kSource + "/upgrade.sh --only-sync-image --bundle '" +
      bundle_ + "' --plugins '" + plugins + "' --registry " + registry.address() + " --ca-file " +
      certs + "/ca.crt --username alice --password-stdin < " + dir_.File("password");
  CommandResult pushed = RunCommand(upgrade);
  ASSERT_EQ(pushed.exit_code, 0) << pushed.output;
  EXPECT_EQ(pushed.output.find("pa ss"), std::string::npos) << pushed.output;
  const std::string tls = "--cert-dir " + SkopeoCertDir(certs) + " --creds 'alice:pa ss'";
  ExpectAllImagesServed(registry.address(), tls);
  for (const char* image : {"acp/topolvm-operator-bundle:v2.3.0", "acp/cloudedge-plugin:v0.3.16",
                            "acp/chart-nfs:v4.0.2"}) {
    CommandResult inspected =
        RunCommand("skopeo inspect --raw " + tls + " docker://" + registry.address() + "/" + image);
    EXPECT_EQ(inspected.exit_code, 0) << image << ": " << inspected.output;
  }
  CommandResult again = RunCommand(upgrade);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("Nothing changed"), std::string::npos) << again.output;

  // Issue 11: a plugin package whose .sig was deleted is refused while a keyring is named;
  // upgrade.sh passes --keyring and --allow-unsigned through to violet.
  std::filesystem::remove(plugins + "/cloudedge.v0.3.16.tgz.sig");
  CommandResult stripped = RunCommand(upgrade);
  EXPECT_EQ(stripped.exit_code, 3) << stripped.output;
  EXPECT_NE(stripped.output.find("cloudedge.v0.3.16.tgz: verification failed: not signed"),
            std::string::npos)
      << stripped.output;
  std::string by_flag = upgrade;  // the keyring by flag instead of $VIOLET_KEYRING
  const std::string env_keyring = "VIOLET_KEYRING='" + plugins + "/violet-sample-key.asc'";
  by_flag.replace(by_flag.find(env_keyring), env_keyring.size(), "VIOLET_KEYRING=");
  by_flag.replace(by_flag.find(" --only-sync-image"), 0,
                  " --keyring '" + plugins + "/violet-sample-key.asc' --allow-unsigned");
  CommandResult allowed = RunCommand(by_flag);
  EXPECT_EQ(allowed.exit_code, 0) << allowed.output;
  EXPECT_NE(allowed.output.find("WARNING: package cloudedge.v0.3.16.tgz: not signed"),
            std::string::npos)
      << allowed.output;

  // A plugin package that fails its signature check stops the run with violet's exit code.
  std::ofstream(plugins + "/nfs.v4.0.2.tgz", std::ios::app) << "tampered";
  CommandResult tampered = RunCommand(upgrade);
  EXPECT_EQ(tampered.exit_code, 3) << tampered.output;
  EXPECT_NE(tampered.output.find("nfs.v4.0.2.tgz"), std::string::npos) << tampered.output;
}

// Issue 13: a login kept in ~/.docker/config.json (or by a credential helper) and no
// --username. upgrade-core resolves it once and hands it to image-sync and to violet: both
// images/ and the plugins' images go in (violet used to run with --no-auth and fail, 4).
TEST_F(ImageSyncTest, UpgradeShHandsADockerLoginToEveryStep) {
  MakeBundle(3);
  const std::string certs = dir_.File("certs");
  RunScript(kSource + "/scripts/gen-test-certs.sh '" + certs + "'");
  RunScript("htpasswd -cbB '" + dir_.File("htpasswd") + "' alice 'pa ss'");
  const std::string plugins = dir_.File("plugins");
  RunScript(kSource + "/scripts/make-sample-packages.sh '" + plugins + "'");
  RegistryServer registry(dir_.path(), "login", certs, dir_.File("htpasswd"));
  const std::string home = dir_.File("home"), bin = dir_.File("bin");
  std::filesystem::create_directories(home + "/.docker");
  std::filesystem::create_directories(bin);
  std::ofstream(home + "/.docker/config.json")
      << R"({"auths":{"https://)" << registry.address() << R"(":{"auth":")"
      << "YWxpY2U6cGEgc3M=" /* alice:pa ss */ << R"("}}})";
  const std::string upgrade =
      "env -u REGISTRY_AUTH_FILE -u XDG_CONFIG_HOME -u DOCKER_CONFIG HOME='" + home +
      "' XDG_RUNTIME_DIR='" + dir_.File("run") + "' PATH='" + bin +
      "':\"$PATH\" IMAGE_SYNC_BIN=" + IMAGE_SYNC_BINARY + " VIOLET_BIN=" + VIOLET_BINARY +
      " VIOLET_KEYRING='" + plugins + "/violet-sample-key.asc' bash " + kSource +
      "/upgrade.sh --only-sync-image --bundle '" + bundle_ + "' --plugins '" + plugins +
      "' --registry " + registry.address() + " --ca-file " + certs + "/ca.crt";
  CommandResult pushed = RunCommand(upgrade);
  ASSERT_EQ(pushed.exit_code, 0) << pushed.output;
  EXPECT_NE(pushed.output.find("using the credentials of user \"alice\" for " + registry.address() +
                               " from auth file " + home + "/.docker/config.json"),
            std::string::npos)
      << pushed.output;
  EXPECT_EQ(pushed.output.find("pa ss"), std::string::npos) << pushed.output;
  const std::string tls = "--cert-dir " + SkopeoCertDir(certs) + " --creds 'alice:pa ss'";
  ExpectAllImagesServed(registry.address(), tls);
  for (const char* image : {"acp/topolvm-operator-bundle:v2.3.0", "acp/cloudedge-plugin:v0.3.16",
                            "acp/chart-nfs:v4.0.2"}) {
    CommandResult inspected =
        RunCommand("skopeo inspect --raw " + tls + " docker://" + registry.address() + "/" + image);
    EXPECT_EQ(inspected.exit_code, 0) << image << ": " << inspected.output;
  }

  // The same login kept by a credential helper (credHelpers): docker-credential-e2e on PATH.
  std::ofstream(bin + "/docker-credential-e2e")
      << "#!/bin/bash\nread -r server\n[ \"$server\" = " << registry.address()
      << " ] || { echo 'credentials not found in native keychain'; exit 1; }\n"
      << R"(echo '{"ServerURL":"x","Username":"alice","Secret":"pa ss"}')"
      << "\n";
  std::filesystem::permissions(bin + "/docker-credential-e2e", std::filesystem::perms::owner_all);
  std::ofstream(home + "/.docker/config.json")
      << R"({"credHelpers":{")" << registry.address() << R"(":"e2e"}})";
  CommandResult helper = RunCommand(upgrade);
  ASSERT_EQ(helper.exit_code, 0) << helper.output;
  EXPECT_NE(helper.output.find("from docker-credential-e2e (credHelpers of"), std::string::npos)
      << helper.output;
  EXPECT_NE(helper.output.find("Nothing changed"), std::string::npos) << helper.output;
  EXPECT_EQ(helper.output.find("pa ss"), std::string::npos) << helper.output;

  // The helper gone: one line naming it and the registry, credentials missing (4).
  std::filesystem::remove(bin + "/docker-credential-e2e");
  CommandResult missing = RunCommand(upgrade);
  EXPECT_EQ(missing.exit_code, 4) << missing.output;
  EXPECT_EQ(Lines(missing.output), 1) << missing.output;
  EXPECT_NE(missing.output.find("credential helper docker-credential-e2e for " +
                                registry.address() + ": not found on PATH"),
            std::string::npos)
      << missing.output;

  // violet push --dest-repo on its own takes the same chain: here --authfile with the login.
  std::ofstream(dir_.File("auth.json"))
      << R"({"auths":{")" << registry.address() << R"(":{"auth":"YWxpY2U6cGEgc3M="}}})";
  CommandResult violet = RunCommand(
      "env -u REGISTRY_AUTH_FILE HOME='" + home + "' XDG_RUNTIME_DIR='" + dir_.File("run") +
      "' VIOLET_KEYRING='" + plugins + "/violet-sample-key.asc' " + VIOLET_BINARY + " push '" +
      plugins + "' --skip-crs --dest-repo " + registry.address() + " --registry-ca-file " + certs +
      "/ca.crt --authfile " + dir_.File("auth.json"));
  EXPECT_EQ(violet.exit_code, 0) << violet.output;
  EXPECT_NE(violet.output.find("from auth file " + dir_.File("auth.json")), std::string::npos)
      << violet.output;
}

TEST_F(ImageSyncTest, CredentialsFromAuthFileAndMissingCredentials) {
  MakeBundle(3);
  const std::string certs = dir_.File("certs");
  RunScript(kSource + "/scripts/gen-test-certs.sh '" + certs + "'");
  RunScript("htpasswd -cbB '" + dir_.File("htpasswd") + "' bob hunter2");
  RegistryServer registry(dir_.path(), "authfile", certs, dir_.File("htpasswd"));
  CommandResult anonymous = ImageSync(registry.address(), "--ca-file " + certs + "/ca.crt");
  EXPECT_EQ(anonymous.exit_code, 4) << anonymous.output;
  EXPECT_EQ(Lines(anonymous.output), 1) << anonymous.output;
  EXPECT_NE(anonymous.output.find("requires authentication — pass --username"), std::string::npos);

  std::ofstream(dir_.File("auth.json"))
      << R"({"auths":{")" << registry.address() << R"(":{"auth":"Ym9iOmh1bnRlcjI="}}})";
  CommandResult pushed =
      RunCommand("REGISTRY_AUTH_FILE=" + dir_.File("auth.json") + " " + IMAGE_SYNC_BINARY +
                 " --progress none --bundle " + bundle_ + " --registry " + registry.address() +
                 " --ca-file " + certs + "/ca.crt");
  EXPECT_EQ(pushed.exit_code, 0) << pushed.output;
  EXPECT_EQ(pushed.output.find("hunter2"), std::string::npos);

  CommandResult untrusted =
      ImageSync(registry.address(), "--username bob --password-file " + dir_.File("auth.json"));
  EXPECT_EQ(untrusted.exit_code, 5) << untrusted.output;
  EXPECT_NE(untrusted.output.find("not trusted"), std::string::npos) << untrusted.output;
  EXPECT_NE(untrusted.output.find("--ca-file"), std::string::npos);
}

TEST_F(ImageSyncTest, CorruptBlobRefusedAndItsTagNeverPointsAtMissingContent) {
  MakeBundle();
  const auto layout = Layout();
  const bundle::Image* victim = nullptr;
  for (const auto& image : layout.images()) {
    if (image.name.ToString() == "acp/component-5:v1") victim = &image;
  }
  ASSERT_NE(victim, nullptr);
  const bundle::Descriptor layer = victim->root.blobs.back();  // its own layer
  std::fstream file(layout.BlobPath(layer.digest), std::ios::in | std::ios::out | std::ios::binary);
  file.seekp(layer.size / 2);
  file.put('\x7f');
  file.close();
  RegistryServer registry(dir_.path(), "corrupt");
  CommandResult result = ImageSync(registry.address(), "--plain");
  EXPECT_EQ(result.exit_code, 3) << result.output;
  const std::string last = result.output.substr(result.output.rfind("image-sync:"));
  EXPECT_NE(last.find("acp/component-5:v1"), std::string::npos) << last;
  EXPECT_NE(last.find(layer.digest), std::string::npos) << last;
  EXPECT_NE(
      SkopeoDigest(registry.address() + "/acp/component-5:v1", "--tls-verify=false").find("error"),
      std::string::npos);

  // A blob of the wrong size is refused before anything is sent.
  std::filesystem::resize_file(layout.BlobPath(layer.digest), 3);
  RegistryServer fresh(dir_.path(), "fresh");
  CommandResult truncated = ImageSync(fresh.address(), "--plain");
  EXPECT_EQ(truncated.exit_code, 3);
  EXPECT_EQ(Lines(truncated.output), 1) << truncated.output;
  EXPECT_NE(truncated.output.find("acp/component-5:v1: blob " + layer.digest), std::string::npos);
  CommandResult catalog = RunCommand("curl -s http://" + fresh.address() + "/v2/_catalog");
  EXPECT_EQ(catalog.output, "{\"repositories\":[]}\n");
}

TEST_F(ImageSyncTest, OperatorMistakesGiveOneLine) {
  MakeBundle(2);
  RegistryServer registry(dir_.path(), "plain");
  CommandResult tls_to_plain = ImageSync(registry.address(), "");
  EXPECT_EQ(tls_to_plain.exit_code, 5);
  EXPECT_EQ(Lines(tls_to_plain.output), 1) << tls_to_plain.output;
  EXPECT_NE(tls_to_plain.output.find("pass --plain"), std::string::npos);

  CommandResult no_bundle = RunCommand("IMAGE_SYNC_BIN=" + std::string(IMAGE_SYNC_BINARY) +
                                       " bash " + kSource + "/upgrade.sh --only-sync-image " +
                                       "--registry " + registry.address() + " --plain");
  EXPECT_EQ(no_bundle.exit_code, 3);
  EXPECT_EQ(Lines(no_bundle.output), 1) << no_bundle.output;
  EXPECT_NE(no_bundle.output.find("--bundle"), std::string::npos);

  // --registry absent: taken from the config file.
  std::ofstream(dir_.File("upgrade.conf")) << "registry: " << registry.address() << "\n";
  CommandResult from_config = RunCommand(
      "UPGRADE_CONFIG=" + dir_.File("upgrade.conf") + " IMAGE_SYNC_BIN=" + IMAGE_SYNC_BINARY +
      " bash " + kSource + "/upgrade.sh --only-sync-image --plain --bundle " + bundle_);
  EXPECT_EQ(from_config.exit_code, 0) << from_config.output;
  EXPECT_NE(from_config.output.find("2 images: 2 pushed"), std::string::npos);
}

TEST_F(ImageSyncTest, RefusedConnectionFailsAtOnceNamingRegistryFlag) {
  MakeBundle(1);
  // A loopback port nothing listens on.
  const std::string closed =
      RunScript("bash -c '. \"" + kSource + "/scripts/lib/ports.sh\" && free_port'");
  CommandResult refused = ImageSync("127.0.0.1:" + closed, "--plain");
  EXPECT_EQ(refused.exit_code, 5) << refused.output;
  EXPECT_EQ(Lines(refused.output), 1) << refused.output;
  EXPECT_NE(refused.output.find("--registry"), std::string::npos) << refused.output;
  // No backoff: the first refusal is the answer (-v logs every retry).
  CommandResult verbose = ImageSync("127.0.0.1:" + closed, "--plain -v");
  EXPECT_EQ(verbose.exit_code, 5) << verbose.output;
  EXPECT_EQ(verbose.output.find("retrying"), std::string::npos) << verbose.output;
}

}  // namespace
