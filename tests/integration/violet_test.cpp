// violet against a real registry and the stand-in API server (global + a workload cluster
// behind the platform proxy): push and its flag rules, idempotent re-runs, auth, corrupt and
// unsigned packages, the safety rails, show/verify/list/gc/version, IPv6 addresses.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "platform/resources.h"
#include "platform_sim/platform_simulator.h"
#include "violet_fixture.h"

namespace testing_support {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using platform::kArtifacts;
using platform::kArtifactVersions;

constexpr const char* kNs = "cpaas-system";
constexpr const char* kBundleArtifact = "operatorhub-topolvm-operator";
constexpr const char* kBundleVersion = "operatorhub-topolvm-operator.v2.3.0";
constexpr const char* kPluginArtifact = "cluster-plugin-cloudedge";
constexpr const char* kChartArtifact = "public-charts-nfs";

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

int Count(const std::string& text, const std::string& part) {
  int count = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

std::string CopyPackage(const std::string& packages, const std::string& name,
                        const std::string& to_dir, bool with_checks) {
  fs::create_directories(to_dir);
  fs::copy_file(packages + "/" + name, to_dir + "/" + name, fs::copy_options::overwrite_existing);
  if (with_checks) {
    for (const char* suffix : {".sha256", ".sig"}) {
      fs::copy_file(packages + "/" + name + suffix, to_dir + "/" + name + suffix,
                    fs::copy_options::overwrite_existing);
    }
  }
  return to_dir + "/" + name;
}

TEST_F(VioletTest, PushCreatesImagesAndResourcesAndARerunChangesNothing) {
  CommandResult first = RunViolet(Push(packages_));
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_TRUE(Contains(first.output, "registry: " + registry_.address())) << first.output;
  EXPECT_EQ(Count(first.output, "verified with GPG"), 3) << first.output;
  EXPECT_TRUE(Contains(first.output, "images: 2 pushed, 0 already present")) << first.output;
  EXPECT_TRUE(Contains(first.output, std::string("cluster global: Artifact cpaas-system/") +
                                         kBundleArtifact + " created"))
      << first.output;
  EXPECT_TRUE(Contains(first.output, "custom resources: 6 created, 0 updated, 0 unchanged"))
      << first.output;

  for (const auto& [repository, tag] :
       {std::pair{"acp/topolvm-operator-bundle", "v2.3.0"},
        std::pair{"acp/topolvm-operator", "v2.3.0"}, std::pair{"acp/cloudedge-plugin", "v0.3.16"},
        std::pair{"acp/chart-nfs", "v4.0.2"}}) {
    EXPECT_TRUE(RegistryHas(registry_.address(), repository, tag)) << repository;
  }
  auto artifact = GetObject("global", kArtifacts, kNs, kBundleArtifact);
  ASSERT_TRUE(artifact.ok()) << artifact.status();
  EXPECT_EQ((*artifact)["spec"]["registry"], registry_.address());
  EXPECT_EQ((*artifact)["spec"]["repository"], "acp/topolvm-operator-bundle");
  EXPECT_EQ((*artifact)["spec"]["type"], "bundle");
  EXPECT_EQ((*artifact)["spec"]["present"], true);
  EXPECT_EQ((*artifact)["metadata"]["labels"]["violet.cpaas.io/catalog-source"], "platform");
  auto version = GetObject("global", kArtifactVersions, kNs, kBundleVersion);
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ((*version)["spec"]["tag"], "v2.3.0");
  EXPECT_EQ((*version)["metadata"]["labels"]["cpaas.io/artifact-version"], kBundleArtifact);
  auto chart = GetObject("global", kArtifacts, kNs, kChartArtifact);
  ASSERT_TRUE(chart.ok()) << chart.status();
  EXPECT_EQ((*chart)["metadata"]["labels"]["violet.cpaas.io/chart-repo"], "public-charts");
  auto plugin = GetObject("global", kArtifacts, kNs, kPluginArtifact);
  ASSERT_TRUE(plugin.ok()) << plugin.status();
  EXPECT_EQ((*plugin)["metadata"]["labels"]["cpaas.io/lifecycle-type"], "Aligned");

  CommandResult again = RunViolet(Push(packages_));
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_TRUE(Contains(again.output, "images: 0 pushed, 2 already present")) << again.output;
  EXPECT_TRUE(Contains(again.output, "custom resources: 0 created, 0 updated, 6 unchanged"))
      << again.output;
  EXPECT_TRUE(Contains(again.output, "Nothing changed")) << again.output;
  auto artifact_again = GetObject("global", kArtifacts, kNs, kBundleArtifact);
  ASSERT_TRUE(artifact_again.ok());
  EXPECT_EQ((*artifact_again)["metadata"]["resourceVersion"],
            (*artifact)["metadata"]["resourceVersion"]);

  // A different catalog source is a change: the operator's Artifact is updated, nothing else.
  CommandResult moved = RunViolet(Push(packages_, {"--target-catalog-source", "system"}));
  ASSERT_EQ(moved.exit_code, 0) << moved.output;
  EXPECT_TRUE(Contains(moved.output, "custom resources: 0 created, 2 updated, 4 unchanged"))
      << moved.output;
  auto updated = GetObject("global", kArtifacts, kNs, kBundleArtifact);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ((*updated)["metadata"]["labels"]["violet.cpaas.io/catalog-source"], "system");
}

TEST_F(VioletTest, OperatorsGoToEveryClusterPluginsAndChartsOnlyToGlobal) {
  CommandResult pushed = RunViolet(Push(packages_, {"--clusters", "global,cluster-a"}));
  ASSERT_EQ(pushed.exit_code, 0) << pushed.output;
  EXPECT_TRUE(Contains(pushed.output,
                       "--clusters is ignored for cluster plugins: its custom resources go to "
                       "the global cluster"))
      << pushed.output;
  EXPECT_TRUE(GetObject("global", kArtifacts, kNs, kBundleArtifact).ok());
  EXPECT_TRUE(GetObject("cluster-a", kArtifacts, kNs, kBundleArtifact).ok());
  EXPECT_TRUE(GetObject("cluster-a", kArtifactVersions, kNs, kBundleVersion).ok());
  EXPECT_TRUE(absl::IsNotFound(GetObject("cluster-a", kArtifacts, kNs, kPluginArtifact).status()));
  EXPECT_TRUE(absl::IsNotFound(GetObject("cluster-a", kArtifacts, kNs, kChartArtifact).status()));
  EXPECT_TRUE(GetObject("global", kArtifacts, kNs, kPluginArtifact).ok());
}

// One meaning for `--clusters=<name> --kubeconfig k` (issue 12): the kubeconfig is the global
// cluster, and every other cluster is reached through the platform proxy
// <server>/kubernetes/<name>, as upgrade reaches it; the output names the server written to.
TEST_F(VioletTest, KubeconfigWithClustersWritesThroughTheProxyToThatCluster) {
  const std::string kubeconfig = dir_.File("kubeconfig");
  std::ofstream(kubeconfig) << "apiVersion: v1\nkind: Config\n"
                            << "clusters:\n- name: global\n  cluster:\n    server: "
                            << server_->url() << "\n"
                            << "users:\n- name: admin\n  user:\n    token: " << kPlatformToken
                            << "\n"
                            << "contexts:\n- name: global\n  context:\n    cluster: global\n"
                            << "    user: admin\ncurrent-context: global\n";
  ScopedEnv no_token("VIOLET_PLATFORM_TOKEN", "");
  const std::string bundle = packages_ + "/topolvm-operator.v2.3.0.tgz";
  CommandResult workload =
      RunViolet({"push", bundle, "--kubeconfig", kubeconfig, "--plain", "--clusters=cluster-a"});
  ASSERT_EQ(workload.exit_code, 0) << workload.output;
  EXPECT_TRUE(
      Contains(workload.output, "cluster cluster-a: " + server_->url() + "/kubernetes/cluster-a\n"))
      << workload.output;
  EXPECT_TRUE(Contains(workload.output, std::string("cluster cluster-a: Artifact cpaas-system/") +
                                            kBundleArtifact + " created"))
      << workload.output;
  EXPECT_TRUE(GetObject("cluster-a", kArtifacts, kNs, kBundleArtifact).ok());
  EXPECT_TRUE(absl::IsNotFound(GetObject("global", kArtifacts, kNs, kBundleArtifact).status()));

  CommandResult both = RunViolet(
      {"push", bundle, "--kubeconfig", kubeconfig, "--plain", "--clusters=global,cluster-a"});
  ASSERT_EQ(both.exit_code, 0) << both.output;
  EXPECT_TRUE(Contains(both.output, "cluster global: " + server_->url() + "\n")) << both.output;
  EXPECT_TRUE(Contains(both.output, std::string("cluster global: Artifact cpaas-system/") +
                                        kBundleArtifact + " created"))
      << both.output;
  EXPECT_TRUE(Contains(both.output, std::string("cluster cluster-a: Artifact cpaas-system/") +
                                        kBundleArtifact + " unchanged"))
      << both.output;
  EXPECT_TRUE(GetObject("global", kArtifacts, kNs, kBundleArtifact).ok());
}

// A loopback port with a socket bound but not listening: a connection to it is refused at once.
class ClosedPort {
 public:
  ClosedPort() : socket_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (bind(socket_, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        getsockname(socket_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
      ADD_FAILURE() << "cannot bind a loopback port";
    }
    port_ = ntohs(address.sin_port);
  }
  ~ClosedPort() { close(socket_); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int socket_;
  int port_ = 0;
};

TEST_F(VioletTest, UnreachableRegistryAndClusterHaveTheirOwnExitCodes) {
  ClosedPort closed;
  CommandResult registry = RunViolet(
      {"push", packages_, "--skip-crs", "--dest-repo", closed.address(), "--no-auth", "--plain"});
  EXPECT_EQ(registry.exit_code, 5) << registry.output;
  EXPECT_TRUE(Contains(registry.output, "registry " + closed.address())) << registry.output;
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"push", packages_, "--plain", "--platform-address",
                                 "http://" + closed.address()},
        std::vector<std::string>{"gc", "--dry-run", "--platform-address",
                                 "http://" + closed.address()}}) {
    CommandResult cluster = RunViolet(command);
    EXPECT_EQ(cluster.exit_code, 6) << cluster.output;
    EXPECT_EQ(Count(cluster.output, "violet: "), 1) << cluster.output;
  }
}

TEST_F(VioletTest, WrongPlatformTokenIsRefusedBeforeAnythingIsWritten) {
  ScopedEnv wrong("VIOLET_PLATFORM_TOKEN", "not-the-token");
  CommandResult refused = RunViolet(Push(packages_));
  EXPECT_EQ(refused.exit_code, 4) << refused.output;
  EXPECT_TRUE(Contains(refused.output, "the platform refused the credentials")) << refused.output;
  EXPECT_TRUE(Contains(refused.output, "check --platform-token")) << refused.output;
  EXPECT_FALSE(Contains(refused.output, "not-the-token")) << refused.output;
  EXPECT_FALSE(RegistryHas(registry_.address(), "acp/topolvm-operator-bundle", "v2.3.0"));
  EXPECT_TRUE(absl::IsNotFound(GetObject("global", kArtifacts, kNs, kBundleArtifact).status()));
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"list", "--platform-address", server_->url(), "--output-file",
                                 dir_.File("apps.yaml")},
        std::vector<std::string>{"gc", "--dry-run", "--platform-address", server_->url()}}) {
    CommandResult result = RunViolet(command);
    EXPECT_EQ(result.exit_code, 4) << result.output;
    EXPECT_TRUE(Contains(result.output, "check --platform-token")) << result.output;
  }
  EXPECT_FALSE(fs::exists(dir_.File("apps.yaml")));
}

TEST_F(VioletTest, LocalUserLogsInWithUsernameAndPassword) {
  ScopedEnv no_token("VIOLET_PLATFORM_TOKEN", "");
  {
    ScopedEnv wrong("VIOLET_PLATFORM_PASSWORD", "wrong");
    CommandResult refused = RunViolet(Push(packages_, {"--platform-username", kAdminUser}));
    EXPECT_EQ(refused.exit_code, 4) << refused.output;
    EXPECT_TRUE(Contains(refused.output, "check --platform-username/--platform-password"))
        << refused.output;
  }
  ScopedEnv password("VIOLET_PLATFORM_PASSWORD", kAdminPassword);
  CommandResult pushed = RunViolet(Push(packages_, {"--platform-username", kAdminUser}));
  EXPECT_EQ(pushed.exit_code, 0) << pushed.output;
  EXPECT_TRUE(GetObject("global", kArtifacts, kNs, kBundleArtifact).ok());
  ScopedEnv token("VIOLET_PLATFORM_TOKEN", kPlatformToken);
  CommandResult both = RunViolet(Push(packages_, {"--platform-username", kAdminUser}));
  EXPECT_EQ(both.exit_code, 2) << both.output;
  EXPECT_TRUE(Contains(both.output, "--platform-token cannot be combined")) << both.output;
}

TEST_F(VioletTest, FlagRulesAreUsageErrorsWithOneLine) {
  const std::pair<std::vector<std::string>, std::string> cases[] = {
      {{"--skip-crs", "--skip-push"}, "--skip-crs and --skip-push cannot be used together"},
      {{"--dest-repo", "fd00::1", "--no-auth"}, "an IPv6 address must be in brackets"},
      {{"--no-auth", "--username", "u"}, "--no-auth cannot be combined"},
      {{"--clusters", ""}, "--clusters"},
  };
  for (const auto& [flags, message] : cases) {
    CommandResult result = RunViolet(Push(packages_, flags));
    EXPECT_EQ(result.exit_code, 2) << result.output;
    EXPECT_TRUE(Contains(result.output, message)) << result.output;
  }
  // --dest-repo with no credentials by flag and no login in any auth file (an empty HOME):
  // credentials missing (4), one line naming every way to give them.
  const char* home = std::getenv("HOME");
  const std::string saved_home = home != nullptr ? home : "";
  setenv("HOME", dir_.path().c_str(), 1);
  ScopedEnv runtime("XDG_RUNTIME_DIR", dir_.path());
  ScopedEnv auth_file("REGISTRY_AUTH_FILE", "");
  CommandResult no_login = RunViolet(Push(packages_, {"--dest-repo", registry_.address()}));
  setenv("HOME", saved_home.c_str(), 1);
  EXPECT_EQ(no_login.exit_code, 4) << no_login.output;
  EXPECT_TRUE(Contains(no_login.output, "no credentials for it — pass --username and --password"))
      << no_login.output;
  EXPECT_TRUE(Contains(no_login.output, "--authfile")) << no_login.output;
  CommandResult stray = RunViolet(Push(packages_, {"--authfile", dir_.File("auth.json")}));
  EXPECT_EQ(stray.exit_code, 2) << stray.output;
  EXPECT_TRUE(Contains(stray.output, "--authfile goes with --dest-repo")) << stray.output;
  CommandResult no_packages = RunViolet(Push(dir_.File("nowhere")));
  EXPECT_EQ(no_packages.exit_code, 3) << no_packages.output;
  EXPECT_TRUE(absl::IsNotFound(GetObject("global", kArtifacts, kNs, kBundleArtifact).status()));
}

TEST_F(VioletTest, SkipCrsPushesImagesOnlyAndSkipPushCreatesTheResources) {
  CommandResult images = RunViolet(Push(packages_, {"--skip-crs"}));
  ASSERT_EQ(images.exit_code, 0) << images.output;
  EXPECT_TRUE(RegistryHas(registry_.address(), "acp/topolvm-operator-bundle", "v2.3.0"));
  EXPECT_TRUE(absl::IsNotFound(GetObject("global", kArtifacts, kNs, kBundleArtifact).status()));

  CommandResult resources = RunViolet(Push(packages_, {"--skip-push"}));
  ASSERT_EQ(resources.exit_code, 0) << resources.output;
  EXPECT_FALSE(Contains(resources.output, "already present in")) << resources.output;
  EXPECT_TRUE(Contains(resources.output, "images: 0 pushed, 0 already present"))
      << resources.output;
  EXPECT_TRUE(Contains(resources.output, "all 2 referenced images are in")) << resources.output;
  EXPECT_TRUE(GetObject("global", kArtifacts, kNs, kBundleArtifact).ok());
}

TEST_F(VioletTest, NoResourcesWhileAnImageIsMissingFromTheTargetRegistry) {
  RegistryServer empty(dir_.path(), "empty");
  CommandResult result =
      RunViolet(Push(packages_, {"--skip-push", "--dest-repo", empty.address(), "--no-auth"}));
  EXPECT_EQ(result.exit_code, 9) << result.output;
  EXPECT_TRUE(Contains(result.output, "image " + empty.address() +
                                          "/acp/topolvm-operator-bundle:v2.3.0 is not in the "
                                          "registry; no custom resources created"))
      << result.output;
  EXPECT_TRUE(Contains(result.output, "3 failed")) << result.output;
  EXPECT_TRUE(absl::IsNotFound(GetObject("global", kArtifacts, kNs, kBundleArtifact).status()));
  EXPECT_TRUE(absl::IsNotFound(GetObject("global", kArtifacts, kNs, kPluginArtifact).status()));
}

TEST_F(VioletTest, VerifyGroupsSignedChecksummedFailedAndUnsignedPackages) {
  const std::string mixed = dir_.File("mixed");
  CopyPackage(packages_, "topolvm-operator.v2.3.0.tgz", mixed, true);
  const std::string checksum_only = CopyPackage(packages_, "nfs.v4.0.2.tgz", mixed, true);
  fs::remove(checksum_only + ".sig");
  CopyPackage(packages_, "cloudedge.v0.3.16.tgz", dir_.File("unsigned"), false);
  fs::copy_file(dir_.File("unsigned/cloudedge.v0.3.16.tgz"), mixed + "/unsigned.tgz");
  const std::string tampered = CopyPackage(packages_, "cloudedge.v0.3.16.tgz", mixed, true);
  {
    std::fstream file(tampered, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(100);
    file.put('\x5a');
  }
  // The fixture names a keyring ($VIOLET_KEYRING): packages without .sig pass only with
  // --allow-unsigned (each with a warning).
  CommandResult verify = RunViolet({"verify", mixed, "--allow-unsigned"});
  EXPECT_EQ(verify.exit_code, 3) << verify.output;
  EXPECT_TRUE(Contains(verify.output,
                       "WARNING: nfs.v4.0.2.tgz: not signed (no .sig beside it); accepted on its "
                       "checksum only because of --allow-unsigned"))
      << verify.output;
  EXPECT_TRUE(Contains(verify.output, "verify path: " + mixed)) << verify.output;
  EXPECT_TRUE(Contains(verify.output,
                       "====== Verification Summary ======\n"
                       "Verified successfully with GPG (1):\n  topolvm-operator.v2.3.0.tgz\n"
                       "Verified successfully with checksum (1):\n  nfs.v4.0.2.tgz\n"
                       "Verification failed (1):\n  cloudedge.v0.3.16.tgz: checksum mismatch"))
      << verify.output;
  EXPECT_TRUE(Contains(verify.output, "No verification file found (1):\n  unsigned.tgz"))
      << verify.output;

  CommandResult strict = RunViolet({"verify", mixed});
  EXPECT_EQ(strict.exit_code, 3) << strict.output;
  EXPECT_TRUE(Contains(strict.output,
                       "Verification failed (3):\n  cloudedge.v0.3.16.tgz: checksum mismatch"))
      << strict.output;
  EXPECT_TRUE(Contains(strict.output,
                       "  nfs.v4.0.2.tgz: not signed (no .sig beside it) and a keyring was named "
                       "(--keyring or $VIOLET_KEYRING), so a signature is required; pass "
                       "--allow-unsigned to accept unsigned packages\n"
                       "  unsigned.tgz: not signed"))
      << strict.output;

  // Signature only: a changed package is a BAD signature.
  fs::remove(tampered + ".sha256");
  CommandResult bad_signature = RunViolet({"verify", tampered});
  EXPECT_EQ(bad_signature.exit_code, 3) << bad_signature.output;
  EXPECT_TRUE(Contains(bad_signature.output, "BAD signature")) << bad_signature.output;
  // A keyring without the signer's key.
  std::ofstream(dir_.File("empty.asc")) << "";
  CommandResult no_key = RunViolet(
      {"verify", mixed + "/topolvm-operator.v2.3.0.tgz", "--keyring", dir_.File("empty.asc")});
  EXPECT_EQ(no_key.exit_code, 3) << no_key.output;
  EXPECT_TRUE(Contains(no_key.output, "holds no public key")) << no_key.output;

  CommandResult good = RunViolet({"verify", packages_});
  EXPECT_EQ(good.exit_code, 0) << good.output;
  EXPECT_TRUE(Contains(good.output, "Verified successfully with GPG (3):")) << good.output;

  // push refuses the tampered one and pushes nothing of it.
  CommandResult push = RunViolet(Push(tampered));
  EXPECT_EQ(push.exit_code, 3) << push.output;
  EXPECT_TRUE(Contains(push.output, "verification failed: GPG: BAD signature")) << push.output;
  EXPECT_FALSE(RegistryHas(registry_.address(), "acp/cloudedge-plugin", "v0.3.16"));

  // Issue 11: the .sig deleted and the .sha256 rewritten. With a keyring named, refused
  // (exit 3, one line) and nothing pushed; --allow-unsigned pushes it with a warning.
  const std::string stripped =
      CopyPackage(packages_, "cloudedge.v0.3.16.tgz", dir_.File("stripped"), true);
  fs::remove(stripped + ".sig");
  CommandResult refused = RunViolet(Push(stripped));
  EXPECT_EQ(refused.exit_code, 3) << refused.output;
  EXPECT_EQ(Count(refused.output, "violet: "), 1) << refused.output;
  EXPECT_TRUE(Contains(refused.output,
                       "violet: package cloudedge.v0.3.16.tgz: verification failed: not signed"))
      << refused.output;
  EXPECT_FALSE(RegistryHas(registry_.address(), "acp/cloudedge-plugin", "v0.3.16"));
  CommandResult allowed = RunViolet(Push(stripped, {"--allow-unsigned"}));
  EXPECT_EQ(allowed.exit_code, 0) << allowed.output;
  EXPECT_TRUE(Contains(allowed.output,
                       "WARNING: package cloudedge.v0.3.16.tgz: not signed (no .sig beside it); "
                       "accepted on its checksum only because of --allow-unsigned"))
      << allowed.output;
  EXPECT_TRUE(RegistryHas(registry_.address(), "acp/cloudedge-plugin", "v0.3.16"));

  // With the default keyring (~/.gnupg, nothing named), unsigned packages are accepted: a
  // checksum-only one on its checksum, one without either file with a notice.
  unsetenv("VIOLET_KEYRING");
  CommandResult default_keyring = RunViolet(Push(stripped));
  EXPECT_EQ(default_keyring.exit_code, 0) << default_keyring.output;
  EXPECT_TRUE(Contains(default_keyring.output, "verified with checksum")) << default_keyring.output;
  CommandResult unsigned_push = RunViolet(Push(dir_.File("unsigned")));
  EXPECT_EQ(unsigned_push.exit_code, 0) << unsigned_push.output;
  EXPECT_TRUE(Contains(unsigned_push.output, "no .sha256 or .sig beside it; not verified"))
      << unsigned_push.output;
}

TEST_F(VioletTest, CorruptAndInconsistentPackagesAreRefused) {
  const std::string truncated =
      CopyPackage(packages_, "topolvm-operator.v2.3.0.tgz", dir_.File("bad"), false);
  fs::resize_file(truncated, fs::file_size(truncated) - 2000);
  CommandResult push = RunViolet(Push(truncated, {"--allow-unsigned"}));
  EXPECT_EQ(push.exit_code, 3) << push.output;
  EXPECT_TRUE(Contains(push.output, "corrupt or truncated")) << push.output;

  // A package.yaml naming an image the package does not hold.
  const std::string work = dir_.File("unpacked");
  fs::create_directories(work);
  RunScript("tar xzf '" + packages_ + "/nfs.v4.0.2.tgz' -C '" + work + "' && sed -i " +
            "'s|acp/nfs:v4.0.2|acp/nfs-missing:v4.0.2|' '" + work + "/package.yaml' && tar czf '" +
            dir_.File("bad/nfs.v4.0.2.tgz") + "' -C '" + work + "' .");
  CommandResult inconsistent =
      RunViolet(Push(dir_.File("bad/nfs.v4.0.2.tgz"), {"--allow-unsigned"}));
  EXPECT_EQ(inconsistent.exit_code, 3) << inconsistent.output;
  EXPECT_TRUE(Contains(inconsistent.output,
                       "names image acp/nfs-missing:v4.0.2 but images/ does not hold it"))
      << inconsistent.output;
  EXPECT_TRUE(absl::IsNotFound(GetObject("global", kArtifacts, kNs, kChartArtifact).status()));
  CommandResult show = RunViolet({"show", dir_.File("bad/nfs.v4.0.2.tgz")});
  EXPECT_EQ(show.exit_code, 0) << show.output;  // show reads package.yaml only
  CommandResult not_a_package = RunViolet({"show", packages_ + "/violet-sample-key.asc"});
  EXPECT_EQ(not_a_package.exit_code, 3) << not_a_package.output;

  // Issue 11: a second package.yaml appended (show would read the first, extraction keep
  // the last) is refused by show and push alike, in one line.
  const std::string twice = dir_.File("twice");
  fs::create_directories(twice + "/x");
  RunScript("cd '" + twice + "' && tar xzf '" + packages_ + "/nfs.v4.0.2.tgz' -C x && " +
            "sed -i 's|^version:.*|version: v9.9.9|' x/package.yaml && gunzip -c '" + packages_ +
            "/nfs.v4.0.2.tgz' > nfs.tar && tar rf nfs.tar -C x package.yaml && " +
            "gzip -c nfs.tar > nfs.v4.0.2.tgz && rm nfs.tar");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"show", twice + "/nfs.v4.0.2.tgz"},
        Push(twice + "/nfs.v4.0.2.tgz", {"--skip-verify"})}) {
    CommandResult refused = RunViolet(args);
    EXPECT_EQ(refused.exit_code, 3) << refused.output;
    EXPECT_TRUE(Contains(refused.output, "appears twice in the archive")) << refused.output;
    EXPECT_EQ(Count(refused.output, "violet: "), 1) << refused.output;
  }

  // A package expanding beyond --max-extract-bytes is refused naming the flag.
  CommandResult capped =
      RunViolet(Push(packages_ + "/nfs.v4.0.2.tgz", {"--max-extract-bytes", "1000"}));
  EXPECT_EQ(capped.exit_code, 3) << capped.output;
  EXPECT_TRUE(Contains(capped.output, "(--max-extract-bytes); refusing it")) << capped.output;
}

TEST_F(VioletTest, ShowPrintsMetadataAndVersionPrintsTheVersion) {
  CommandResult show = RunViolet({"show", packages_ + "/topolvm-operator.v2.3.0.tgz"});
  ASSERT_EQ(show.exit_code, 0) << show.output;
  EXPECT_EQ(show.output,
            "Name: topolvm-operator\nType: bundle\nArch: [linux/amd64 linux/arm64]\n"
            "Version: v2.3.0\n");
  CommandResult all = RunViolet({"show", packages_ + "/cloudedge.v0.3.16.tgz", "--all"});
  ASSERT_EQ(all.exit_code, 0) << all.output;
  EXPECT_EQ(all.output,
            "Name: cloudedge\nType: plugin\nArch: [linux/amd64 linux/arm64]\nVersion: v0.3.16\n"
            "Artifact: acp/cloudedge-plugin:v0.3.16\nRelateImages: [acp/cloudedge:v0.3.16]\n");
  CommandResult version = RunViolet({"version"});
  EXPECT_EQ(version.exit_code, 0);
  // The same line as violet --version (and every tool's): "violet <version> (commit ...".
  EXPECT_EQ(version.output.rfind("violet ", 0), 0u) << version.output;
  EXPECT_NE(version.output.find(" (commit "), std::string::npos) << version.output;
}

// The global upgrade as the platform's CVO runs it (the shared simulator, ticked by hand):
// refused while the stalled Core stage runs, allowed once the upgrade completed.
TEST_F(VioletTest, WorkloadClustersAreRefusedWhileTheGlobalUpgradeRuns) {
  CreateObject(platform::kDeployments, kNs,
               {{"apiVersion", "apps/v1"},
                {"kind", "Deployment"},
                {"metadata", {{"name", "cluster-version-operator"}, {"namespace", kNs}}},
                {"spec", json::object()}});
  CreateObject(platform::kClusterVersionShadows, kNs,
               {{"apiVersion", "upgrade.alauda.io/v1alpha1"},
                {"kind", "ClusterVersionShadow"},
                {"metadata",
                 {{"name", "global"},
                  {"namespace", kNs},
                  {"annotations", {{"platform-sim.test/stall-stage", "Core"}}}}},
                {"spec", {{"desiredUpdate", {{"version", "v4.3.0"}}}}}},
               {{"current", {{"version", "v4.2.0"}}}});
  k8s::RestClient global = Cluster("global");
  platform_sim::PlatformSimulator simulator(global.config());
  auto cvsh_state = [&] {
    auto cvsh = global.Get(platform::kClusterVersionShadows, kNs, "global");
    EXPECT_TRUE(cvsh.ok()) << cvsh.status();
    return cvsh.ok() ? cvsh->value("status", json::object()) : json::object();
  };
  for (int tick = 0; tick < 5; ++tick) simulator.Tick();
  const json running = cvsh_state();
  ASSERT_EQ(running["history"][0]["state"], "Partial") << running.dump();

  const std::string bundle = packages_ + "/topolvm-operator.v2.3.0.tgz";
  CommandResult refused = RunViolet(Push(bundle, {"--clusters", "cluster-a"}));
  EXPECT_EQ(refused.exit_code, 10) << refused.output;  // blocked by a safety rail
  EXPECT_TRUE(Contains(refused.output,
                       "refusing to create custom resources on workload cluster(s) cluster-a "
                       "while the global cluster's upgrade is in progress"))
      << refused.output;
  EXPECT_TRUE(Contains(refused.output, "v4.3.0 is Partial")) << refused.output;
  EXPECT_TRUE(absl::IsNotFound(GetObject("cluster-a", kArtifacts, kNs, kBundleArtifact).status()));

  CommandResult global_only = RunViolet(Push(bundle));
  EXPECT_EQ(global_only.exit_code, 0) << global_only.output;
  CommandResult images_only = RunViolet(Push(bundle, {"--clusters", "cluster-a", "--skip-crs"}));
  EXPECT_EQ(images_only.exit_code, 0) << images_only.output;

  CommandResult forced = RunViolet(Push(bundle, {"--clusters", "cluster-a", "--force"}));
  EXPECT_EQ(forced.exit_code, 0) << forced.output;
  EXPECT_TRUE(Contains(forced.output, "WARNING: the global cluster's upgrade is in progress"))
      << forced.output;
  EXPECT_TRUE(GetObject("cluster-a", kArtifacts, kNs, kBundleArtifact).ok());

  // The stall is lifted; the CVO finishes the upgrade; workload clusters are allowed again.
  ASSERT_TRUE(global
                  .MergePatch(platform::kClusterVersionShadows, kNs, "global",
                              {{"metadata",
                                {{"annotations", {{"platform-sim.test/stall-stage", nullptr}}}}}})
                  .ok());
  for (int tick = 0; tick < 20 && cvsh_state()["history"][0]["state"] != "Completed"; ++tick) {
    simulator.Tick();
  }
  ASSERT_EQ(cvsh_state()["history"][0]["state"], "Completed") << cvsh_state().dump();
  CommandResult after = RunViolet(Push(bundle, {"--clusters", "cluster-a"}));
  EXPECT_EQ(after.exit_code, 0) << after.output;
  EXPECT_FALSE(Contains(after.output, "WARNING")) << after.output;
}

TEST_F(VioletTest, PushingToAStandbyWithoutDestRepoWarns) {
  CreateObject(platform::kConfigMaps, kNs,
               {{"apiVersion", "v1"},
                {"kind", "ConfigMap"},
                {"metadata", {{"name", "global-dr-role"}, {"namespace", kNs}}},
                {"data", {{"role", "standby"}}}});
  const std::string chart = packages_ + "/nfs.v4.0.2.tgz";
  CommandResult warned = RunViolet(Push(chart));
  EXPECT_EQ(warned.exit_code, 0) << warned.output;
  EXPECT_TRUE(Contains(warned.output, "WARNING: this platform is a standby global cluster"))
      << warned.output;
  RegistryServer standby_registry(dir_.path(), "standby-registry");
  CommandResult quiet =
      RunViolet(Push(chart, {"--dest-repo", standby_registry.address(), "--no-auth"}));
  EXPECT_EQ(quiet.exit_code, 0) << quiet.output;
  EXPECT_FALSE(Contains(quiet.output, "WARNING")) << quiet.output;
  EXPECT_TRUE(RegistryHas(standby_registry.address(), "acp/chart-nfs", "v4.0.2"));
  auto artifact = GetObject("global", kArtifacts, kNs, kChartArtifact);
  ASSERT_TRUE(artifact.ok());
  EXPECT_EQ((*artifact)["spec"]["registry"], standby_registry.address());
}

TEST_F(VioletTest, RegistryCredentialsFromThePlatformOrFlagsAndRefusal) {
  const std::string certs = dir_.File("certs");
  RunScript(std::string(PROJECT_SOURCE_DIR) + "/scripts/gen-test-certs.sh '" + certs + "'");
  RunScript("htpasswd -cbB '" + dir_.File("htpasswd") + "' pusher 'reg pass'");
  RegistryServer secure(dir_.path(), "secure", certs, dir_.File("htpasswd"));
  const std::string chart = packages_ + "/nfs.v4.0.2.tgz";
  {
    ScopedEnv wrong("VIOLET_REGISTRY_PASSWORD", "wrong");
    CommandResult refused = RunViolet({"push", chart, "--platform-address", server_->url(),
                                       "--dest-repo", secure.address(), "--username", "pusher",
                                       "--registry-ca-file", certs + "/ca.crt"});
    EXPECT_EQ(refused.exit_code, 4) << refused.output;
    EXPECT_FALSE(Contains(refused.output, "wrong")) << refused.output;
  }
  // Without --dest-repo: ProductBase's registry and Secret cpaas-system/registry-admin.
  k8s::RestClient global = Cluster("global");
  ASSERT_TRUE(global
                  .MergePatch(platform::kProductBases, "", "base",
                              {{"spec", {{"registry", {{"address", secure.address()}}}}}})
                  .ok());
  CreateObject(platform::kSecrets, kNs,
               {{"apiVersion", "v1"},
                {"kind", "Secret"},
                {"metadata", {{"name", "registry-admin"}, {"namespace", kNs}}},
                {"data", {{"username", "cHVzaGVy"}, {"password", "cmVnIHBhc3M="}}}});
  CommandResult pushed = RunViolet({"push", chart, "--platform-address", server_->url(),
                                    "--registry-ca-file", certs + "/ca.crt"});
  EXPECT_EQ(pushed.exit_code, 0) << pushed.output;
  auto artifact = GetObject("global", kArtifacts, kNs, kChartArtifact);
  ASSERT_TRUE(artifact.ok()) << pushed.output;
  EXPECT_EQ((*artifact)["spec"]["registry"], secure.address());
}

json Named(const std::string& api_version, const std::string& kind, const std::string& name,
           json labels, json spec) {
  return {{"apiVersion", api_version},
          {"kind", kind},
          {"metadata", {{"name", name}, {"labels", labels}}},
          {"spec", spec}};
}

TEST_F(VioletTest, ListWritesAppsYamlAndGcRemovesOnlyLeftovers) {
  // Two versions of the operator, v2.3.0 installed on global; a plugin installed nowhere.
  MakeSamplePackages(dir_.File("old"), "--only bundle --version v2.2.0 --seed 7");
  ASSERT_EQ(RunViolet(Push(dir_.File("old"), {"--keyring", dir_.File("old/violet-sample-key.asc")}))
                .exit_code,
            0);
  ASSERT_EQ(RunViolet(Push(packages_)).exit_code, 0);
  CreateObject(platform::kOperatorViews, "",
               Named("app.alauda.io/v1alpha1", "OperatorView", "topolvm-global", json::object(),
                     {{"operator", "topolvm-operator"},
                      {"cluster", "global"},
                      {"version", "v2.3.0"},
                      {"displayName", "TopoLVM"}}));
  CreateObject(platform::kModulePlugins, "",
               Named("cluster.alauda.io/v1alpha1", "ModulePlugin", "logging",
                     {{"cpaas.io/lifecycle-type", "Aligned"}}, {{"displayName", "Logging"}}));
  CreateObject(platform::kModulePlugins, "",
               Named("cluster.alauda.io/v1alpha1", "ModulePlugin", "unused", json::object(),
                     json::object()));
  CreateObject(platform::kModuleInfos, "",
               Named("cluster.alauda.io/v1alpha1", "ModuleInfo", "cluster-a-1f2e",
                     {{"cpaas.io/module-name", "logging"},
                      {"cpaas.io/cluster-name", "cluster-a"},
                      {"cpaas.io/module-type", "plugin"}},
                     {{"version", "v4.1.0"}}));

  const std::string apps = dir_.File("apps.yaml");
  CommandResult list =
      RunViolet({"list", "--platform-address", server_->url(), "--output-file", apps});
  ASSERT_EQ(list.exit_code, 0) << list.output;
  YAML::Node listed = YAML::LoadFile(apps)["applications"];
  ASSERT_EQ(listed.size(), 2u) << list.output;
  EXPECT_EQ(listed["topolvm-operator"]["type"].as<std::string>(), "OperatorBundle");
  EXPECT_EQ(listed["topolvm-operator"]["displayName"].as<std::string>(), "TopoLVM");
  EXPECT_EQ(listed["topolvm-operator"]["installed"][0]["clusterName"].as<std::string>(), "global");
  EXPECT_EQ(listed["topolvm-operator"]["installed"][0]["version"].as<std::string>(), "v2.3.0");
  EXPECT_EQ(listed["logging"]["type"].as<std::string>(), "ModulePlugin");
  EXPECT_EQ(listed["logging"]["installed"][0]["clusterName"].as<std::string>(), "cluster-a");
  CommandResult only_a = RunViolet({"list", "--platform-address", server_->url(), "--clusters",
                                    "cluster-a", "--output-file", apps});
  ASSERT_EQ(only_a.exit_code, 0) << only_a.output;
  EXPECT_EQ(YAML::LoadFile(apps)["applications"].size(), 1u);

  const std::vector<std::string> gc = {"gc", "--platform-address", server_->url()};
  std::vector<std::string> dry_run = gc;
  dry_run.push_back("--dry-run");
  CommandResult planned = RunViolet(dry_run);
  ASSERT_EQ(planned.exit_code, 0) << planned.output;
  EXPECT_TRUE(Contains(planned.output, "Dry run: nothing was deleted")) << planned.output;
  EXPECT_TRUE(Contains(planned.output, "GC Summary:\nTYPE")) << planned.output;
  EXPECT_TRUE(Contains(planned.output, "operatorhub-topolvm-operator.v2.2.0   global"))
      << planned.output;
  EXPECT_TRUE(Contains(planned.output, "ModulePlugin      unused")) << planned.output;
  EXPECT_FALSE(Contains(planned.output, "operatorhub-topolvm-operator.v2.3.0")) << planned.output;
  EXPECT_TRUE(
      GetObject("global", kArtifactVersions, kNs, "operatorhub-topolvm-operator.v2.2.0").ok());

  CommandResult collected = RunViolet(gc);
  ASSERT_EQ(collected.exit_code, 0) << collected.output;
  EXPECT_TRUE(Contains(collected.output, "GC Summary:")) << collected.output;
  EXPECT_TRUE(absl::IsNotFound(
      GetObject("global", kArtifactVersions, kNs, "operatorhub-topolvm-operator.v2.2.0").status()));
  EXPECT_TRUE(
      absl::IsNotFound(GetObject("global", platform::kModulePlugins, "", "unused").status()));
  EXPECT_TRUE(GetObject("global", kArtifactVersions, kNs, kBundleVersion).ok());
  EXPECT_TRUE(GetObject("global", kArtifacts, kNs, kBundleArtifact).ok());
  EXPECT_TRUE(GetObject("global", platform::kModulePlugins, "", "logging").ok());

  CommandResult nothing = RunViolet(gc);
  EXPECT_EQ(nothing.exit_code, 0) << nothing.output;
  EXPECT_EQ(nothing.output, "No resources were deleted.\n");
}

// Forwards [::1]:<port> to 127.0.0.1:<target> (our servers listen on IPv4 loopback only).
class Ipv6Forwarder {
 public:
  explicit Ipv6Forwarder(int target) : target_(target) {
    listener_ = socket(AF_INET6, SOCK_STREAM, 0);
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_addr = in6addr_loopback;
    socklen_t size = sizeof address;
    if (bind(listener_, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        listen(listener_, 64) != 0 ||
        getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
      ADD_FAILURE() << "cannot listen on [::1]";
      return;
    }
    port_ = ntohs(address.sin6_port);
    acceptor_ = std::jthread([this](std::stop_token stop) { Accept(stop); });
  }
  ~Ipv6Forwarder() {
    acceptor_.request_stop();
    if (acceptor_.joinable()) acceptor_.join();
    for (auto& pump : pumps_) pump.request_stop();
    pumps_.clear();
    close(listener_);
  }
  int port() const { return port_; }

 private:
  void Accept(std::stop_token stop) {
    while (!stop.stop_requested()) {
      pollfd waiting{listener_, POLLIN, 0};
      if (poll(&waiting, 1, 100) <= 0) continue;
      const int client = accept(listener_, nullptr, nullptr);
      if (client < 0) continue;
      const int upstream = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in target{};
      target.sin_family = AF_INET;
      target.sin_port = htons(target_);
      target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (connect(upstream, reinterpret_cast<sockaddr*>(&target), sizeof target) != 0) {
        close(client);
        close(upstream);
        continue;
      }
      pumps_.emplace_back([client, upstream](std::stop_token pump_stop) {
        pollfd fds[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
        char buffer[1 << 16];
        while (!pump_stop.stop_requested()) {
          if (poll(fds, 2, 100) <= 0) continue;
          bool closed = false;
          for (int i = 0; i < 2 && !closed; ++i) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
            if (n <= 0 || write(fds[1 - i].fd, buffer, n) != n) closed = true;
          }
          if (closed) break;
        }
        close(client);
        close(upstream);
      });
    }
  }

  int target_;
  int listener_ = -1;
  int port_ = 0;
  std::vector<std::jthread> pumps_;
  std::jthread acceptor_;
};

int PortOf(const std::string& address) { return std::stoi(address.substr(address.rfind(':') + 1)); }

TEST_F(VioletTest, Ipv6LiteralsInPlatformAddressAndDestRepo) {
  Ipv6Forwarder platform(server_->port());
  Ipv6Forwarder registry(PortOf(registry_.address()));
  const std::string dest = "[::1]:" + std::to_string(registry.port());
  CommandResult pushed =
      RunViolet({"push", packages_ + "/topolvm-operator.v2.3.0.tgz", "--platform-address",
                 "http://[::1]:" + std::to_string(platform.port()), "--dest-repo", dest,
                 "--no-auth", "--plain"});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.output;
  EXPECT_TRUE(RegistryHas(registry_.address(), "acp/topolvm-operator-bundle", "v2.3.0"));
  auto artifact = GetObject("global", kArtifacts, kNs, kBundleArtifact);
  ASSERT_TRUE(artifact.ok()) << artifact.status();
  EXPECT_EQ((*artifact)["spec"]["registry"], dest);
}

// Era A (no cvsh): the Functional Components upgrade of global is running while one of its
// ModuleInfos asks for a version it does not run yet; create-CRs on a workload cluster waits.
TEST_F(VioletTest, WorkloadClustersAreRefusedWhileAnEraAGlobalUpgradeRuns) {
  CreateObject(
      platform::kModuleInfos, "",
      {{"apiVersion", "cluster.alauda.io/v1alpha1"},
       {"kind", "ModuleInfo"},
       {"metadata",
        {{"name", "global-base"},
         {"labels", {{"cpaas.io/cluster-name", "global"}, {"cpaas.io/module-name", "base"}}}}},
       {"spec", {{"version", "v4.1.0"}}}},
      {{"version", "v4.0.3"}, {"phase", "Running"}});
  const std::string bundle = packages_ + "/topolvm-operator.v2.3.0.tgz";
  CommandResult refused = RunViolet(Push(bundle, {"--clusters", "cluster-a"}));
  EXPECT_EQ(refused.exit_code, 10) << refused.output;
  EXPECT_TRUE(Contains(refused.output,
                       "Era A: component base of global is moving from v4.0.3 "
                       "to v4.1.0"))
      << refused.output;
  EXPECT_TRUE(absl::IsNotFound(GetObject("cluster-a", kArtifacts, kNs, kBundleArtifact).status()));
  // The component reached its Target: the upgrade is over.
  ASSERT_TRUE(Cluster("global")
                  .MergePatch(platform::kModuleInfos, "", "global-base",
                              {{"status", {{"version", "v4.1.0"}}}}, "status")
                  .ok());
  CommandResult after = RunViolet(Push(bundle, {"--clusters", "cluster-a"}));
  EXPECT_EQ(after.exit_code, 0) << after.output;
}

// §4.1 step 4 (our reading): create-CRs over the whole directory from 4.0 leaves TopoLVM out of
// the other packages and creates its CRs last with --target-catalog-source platform.
TEST_F(VioletTest, CreateCrsFrom40CreatesTopolvmSeparatelyWithThePlatformCatalogSource) {
  ASSERT_EQ(RunViolet(Push(packages_, {"--skip-crs"})).exit_code, 0);
  ASSERT_TRUE(
      Cluster("global")
          .MergePatch(platform::kProductBases, "", "base", {{"spec", {{"version", "4.0.3"}}}})
          .ok());
  CommandResult crs =
      RunViolet(Push(packages_, {"--skip-push", "--target-catalog-source", "custom"}));
  ASSERT_EQ(crs.exit_code, 0) << crs.output;
  const size_t notice = crs.output.find(
      "package topolvm-operator.v2.3.0.tgz: TopoLVM (global reads 4.0.3): left out of this "
      "create-CRs run and created separately after the other packages with "
      "--target-catalog-source platform");
  ASSERT_NE(notice, std::string::npos) << crs.output;
  const size_t topolvm_crs = crs.output.find("ArtifactVersion cpaas-system/operatorhub-topolvm");
  const size_t chart_crs = crs.output.find("Artifact cpaas-system/public-charts-nfs");
  ASSERT_NE(topolvm_crs, std::string::npos) << crs.output;
  ASSERT_NE(chart_crs, std::string::npos) << crs.output;
  EXPECT_LT(chart_crs, topolvm_crs) << crs.output;
  auto artifact = GetObject("global", kArtifacts, kNs, kBundleArtifact);
  ASSERT_TRUE(artifact.ok()) << artifact.status();
  EXPECT_EQ((*artifact)["metadata"]["labels"]["violet.cpaas.io/catalog-source"], "platform");
}

}  // namespace
}  // namespace testing_support
