// package.yaml parsing and validation, checksum file reading, the verify summary.
#include "package/package_manifest.h"

#include <gtest/gtest.h>

#include "package/package_verification.h"

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
      "/pkgs", {{"/pkgs/a.tgz", VerificationOutcome::kGpg, "signed"},
                {"/pkgs/b.tgz", VerificationOutcome::kChecksum, ""},
                {"/pkgs/c.tgz", VerificationOutcome::kFailed, "checksum mismatch"}});
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
