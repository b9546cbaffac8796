// package.yaml parsing and validation, checksum file reading, the verify summary.
#include "package/package_manifest.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "bundle/digest.h"
#include "package/package_verification.h"
#include "support/temp_dir.h"

namespace package {
namespace {

constexpr const char* kValid = R"(formatVersion: 1
name: topolvm-operator
displayName: TopoLVM
type: bundle
version: v2.3.0
architectures: [linux/amd64, linux/arm64]
artifact: acp/topolvm-operator-bundle:v2.3.0
relatedImages:
  - acp/topolvm:v2.3.0
)";

TEST(PackageManifestTest, ParsesEveryField) {
  auto manifest = ParsePackageManifest(kValid, "x.tgz");
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  EXPECT_EQ(manifest->name, "topolvm-operator");
  EXPECT_EQ(manifest->display_name, "TopoLVM");
  EXPECT_EQ(manifest->type, PackageType::kOperatorBundle);
  EXPECT_EQ(TypeName(manifest->type), "bundle");
  EXPECT_EQ(manifest->version, "v2.3.0");
  EXPECT_EQ(manifest->architectures, (std::vector<std::string>{"linux/amd64", "linux/arm64"}));
  EXPECT_EQ(manifest->artifact, "acp/topolvm-operator-bundle:v2.3.0");
  EXPECT_EQ(manifest->related_images, std::vector<std::string>{"acp/topolvm:v2.3.0"});
}

TEST(PackageManifestTest, FormatThenParseRoundTrips) {
  PackageManifest manifest{"nfs",
                           "NFS",
                           PackageType::kChart,
                           "v4.0.2",
                           {"linux/amd64"},
                           "acp/chart-nfs:v4.0.2",
                           {"acp/nfs:v4.0.2"},
                           "Agnostic",
                           "chart/nfs-4.0.2.tgz"};
  auto parsed = ParsePackageManifest(FormatPackageManifest(manifest), "x");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->type, PackageType::kChart);
  EXPECT_EQ(parsed->chart, "chart/nfs-4.0.2.tgz");
  EXPECT_EQ(parsed->lifecycle, "Agnostic");
  EXPECT_EQ(parsed->related_images, manifest.related_images);
}

TEST(PackageManifestTest, DisplayNameDefaultsToName) {
  std::string text = kValid;
  text.replace(text.find("displayName: TopoLVM\n"), 21, "");
  auto manifest = ParsePackageManifest(text, "x");
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  EXPECT_EQ(manifest->display_name, "topolvm-operator");
}

struct BadCase {
  std::string from, to, expected;
};

TEST(PackageManifestTest, RefusesInvalidFieldsNamingThem) {
  const BadCase cases[] = {
      {"type: bundle", "type: operator", "type \"operator\""},
      {"name: topolvm-operator", "name: TopoLVM_Operator", "name \"TopoLVM_Operator\""},
      {"version: v2.3.0", "version: \"\"", "version"},
      {"architectures: [linux/amd64, linux/arm64]", "architectures: []", "architectures"},
      {"architectures: [linux/amd64, linux/arm64]", "architectures: [amd64]", "os/arch"},
      {"artifact: acp/topolvm-operator-bundle:v2.3.0", "artifact: \"\"", "artifact"},
      {"  - acp/topolvm:v2.3.0", "  - \"acp/topolvm\"", "acp/topolvm"},
      {"formatVersion: 1", "formatVersion: 2", "formatVersion"},
      {"formatVersion: 1", "formatVersion: 1\nsurprise: 1", "unknown field \"surprise\""},
  };
  for (const BadCase& bad : cases) {
    std::string text = kValid;
    text.replace(text.find(bad.from), bad.from.size(), bad.to);
    auto manifest = ParsePackageManifest(text, "pkg.tgz");
    ASSERT_FALSE(manifest.ok()) << bad.to;
    EXPECT_TRUE(absl::IsInvalidArgument(manifest.status()));
    EXPECT_NE(manifest.status().message().find(bad.expected), std::string::npos)
        << manifest.status();
    EXPECT_NE(manifest.status().message().find("package pkg.tgz"), std::string::npos);
  }
  EXPECT_FALSE(ParsePackageManifest("[1, 2]", "x").ok());
  EXPECT_FALSE(ParsePackageManifest("name: [unclosed", "x").ok());
}

// Hostile package.yaml (issue 11): these crashed violet (std::regex, yaml-cpp recursion).
TEST(PackageManifestTest, HostileFieldsAreRefusedNotCrashing) {
  std::string text = kValid;
  const std::string arch = "linux/" + std::string(50000, 'a');
  text.replace(text.find("linux/arm64"), 11, arch);
  auto long_arch = ParsePackageManifest(text, "pkg.tgz");
  ASSERT_FALSE(long_arch.ok());
  EXPECT_NE(long_arch.status().message().find("is not os/arch"), std::string::npos);
  EXPECT_LT(long_arch.status().message().size(), 300u);  // quoted only in part

  for (const std::string& field :
       {"name: " + std::string(50000, 'a'), "version: v" + std::string(50000, '1')}) {
    std::string long_field = kValid;
    const std::string key = field.substr(0, field.find(':'));
    const size_t at = long_field.find("\n" + key + ":") + 1;
    long_field.replace(at, long_field.find('\n', at) - at, field);
    auto parsed = ParsePackageManifest(long_field, "pkg.tgz");
    ASSERT_FALSE(parsed.ok()) << key;
    EXPECT_LT(parsed.status().message().size(), 300u);
  }

  const std::string deep = std::string(kValid) + "relatedImages: " + std::string(100000, '[');
  auto nested = ParsePackageManifest(deep, "pkg.tgz");
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.status().message(),
            "package pkg.tgz: package.yaml nests deeper than 16 levels; refusing it");

  const std::string big = std::string(kValid) + "# " + std::string(kMaxManifestBytes, 'x');
  auto oversized = ParsePackageManifest(big, "pkg.tgz");
  ASSERT_FALSE(oversized.ok());
  EXPECT_NE(oversized.status().message().find("more than the 1048576 allowed"), std::string::npos)
      << oversized.status();
}

// Issue 11: with a keyring named, deleting the .sig (and rewriting the .sha256) must not
// turn a signed package into an accepted checksum-only one.
class UnsignedPackageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("VIOLET_KEYRING");
    archive_ = dir_.File("p.tgz");
    std::ofstream(archive_) << "package bytes";
  }
  void TearDown() override { unsetenv("VIOLET_KEYRING"); }
  // The .sig deleted and the .sha256 rewritten to match, as an attacker would.
  void FixChecksum() {
    std::ofstream(archive_ + ".sha256")
        << bundle::Sha256Digest("package bytes").substr(7) << "  p.tgz\n";
  }
  testing_support::TempDir dir_;
  std::string archive_;
};

TEST_F(UnsignedPackageTest, NamedKeyringRequiresASignature) {
  FixChecksum();
  Verification refused = VerifyPackageFile(archive_, {.keyring = dir_.File("keys.asc")});
  EXPECT_EQ(refused.outcome, VerificationOutcome::kFailed);
  EXPECT_NE(refused.detail.find("not signed (no .sig beside it) and a keyring was named"),
            std::string::npos)
      << refused.detail;
  EXPECT_NE(refused.detail.find("--allow-unsigned"), std::string::npos);

  setenv("VIOLET_KEYRING", dir_.File("keys.asc").c_str(), 1);
  EXPECT_EQ(VerifyPackageFile(archive_, {}).outcome, VerificationOutcome::kFailed);

  Verification allowed = VerifyPackageFile(archive_, {.keyring = "", .allow_unsigned = true});
  EXPECT_EQ(allowed.outcome, VerificationOutcome::kChecksum);
  EXPECT_EQ(allowed.warning,
            "not signed (no .sig beside it); accepted on its checksum only because of "
            "--allow-unsigned");
  // --allow-unsigned never excuses a wrong checksum.
  std::ofstream(archive_ + ".sha256") << std::string(64, 'f') << "\n";
  EXPECT_EQ(VerifyPackageFile(archive_, {.keyring = "", .allow_unsigned = true}).outcome,
            VerificationOutcome::kFailed);
}

TEST_F(UnsignedPackageTest, DefaultKeyringAcceptsChecksumOnlyPackages) {
  FixChecksum();
  Verification checksum_only = VerifyPackageFile(archive_, {});
  EXPECT_EQ(checksum_only.outcome, VerificationOutcome::kChecksum) << checksum_only.detail;
  EXPECT_EQ(checksum_only.warning, "");
}

TEST(ChecksumFileTest, ReadsSha256sumOutputAndBareHex) {
  const std::string hex(64, 'a');
  EXPECT_EQ(ExpectedSha256(hex + "  pkg.tgz\n"), hex);
  EXPECT_EQ(ExpectedSha256(hex), hex);
  EXPECT_EQ(ExpectedSha256(std::string(64, 'A') + " *pkg.tgz"), hex);
  EXPECT_EQ(ExpectedSha256(std::string(63, 'a') + "  pkg.tgz"), "");
  EXPECT_EQ(ExpectedSha256(hex + "0  pkg.tgz"), "");
  EXPECT_EQ(ExpectedSha256("not a checksum"), "");
}

TEST(VerificationSummaryTest, ListsEveryGroupWithItsPackages) {
  const std::string summary = FormatVerificationSummary(
      "/pkgs", {{"/pkgs/a.tgz", VerificationOutcome::kGpg, "signed", ""},
                {"/pkgs/b.tgz", VerificationOutcome::kChecksum, "", ""},
                {"/pkgs/c.tgz", VerificationOutcome::kFailed, "checksum mismatch", ""}});
  EXPECT_EQ(summary,
            "verify path: /pkgs\n"
            "====== Verification Summary ======\n"
            "Verified successfully with GPG (1):\n  a.tgz\n"
            "Verified successfully with checksum (1):\n  b.tgz\n"
            "Verification failed (1):\n  c.tgz: checksum mismatch\n"
            "No verification file found (0):\n  (none)\n");
}

}  // namespace
}  // namespace package
