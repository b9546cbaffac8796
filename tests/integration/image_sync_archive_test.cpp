// image-sync and upgrade.sh reading the bundle straight from images.tar (the core package's
// archive, never extracted) into a real registry: the same digests as from the directory
// (pulled back with skopeo), upgrade.sh finding images.tar beside itself, and a corrupt or
// compressed archive refused with one line.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "bundle/digest.h"
#include "bundle/layout_archive.h"
#include "bundle/oci_layout.h"
#include "bundle/tar_index.h"
#include "support/registry_server.h"
#include "support/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using testing_support::CommandResult;
using testing_support::RegistryServer;
using testing_support::RunCommand;
using testing_support::TempDir;

const std::string kSource = PROJECT_SOURCE_DIR;

int Lines(const std::string& text) {
  int lines = 0;
  for (char c : text) lines += c == '\n';
  return lines;
}

class ImageSyncArchiveTest : public ::testing::Test {
 protected:
  ImageSyncArchiveTest() { setenv("UPGRADE_CORE_BIN", UPGRADE_CORE_BINARY, 1); }
  void SetUp() override {
    fs::create_directories(package_);
    CommandResult made =
        RunCommand(std::string(MAKE_SAMPLE_BUNDLE_BINARY) + " '" + dir_.File("layout") +
                   "' --images 6 --archive '" + archive_ + "'");
    ASSERT_EQ(made.exit_code, 0) << made.output;
  }
  CommandResult ImageSync(const std::string& bundle, const std::string& registry,
                          const std::string& args = "") {
    return RunCommand(std::string(IMAGE_SYNC_BINARY) + " --progress none --plain --bundle '" +
                      bundle + "' --registry " + registry + " " + args);
  }
  void ExpectAllImagesServed(const std::string& address) {
    const bundle::OciLayout layout = bundle::OciLayout::Open(dir_.File("layout")).value();
    for (const auto& image : layout.images()) {
      CommandResult raw = RunCommand("skopeo inspect --raw --tls-verify=false docker://" + address +
                                     "/" + image.name.ToString());
      ASSERT_EQ(raw.exit_code, 0) << raw.output;
      EXPECT_EQ(bundle::Sha256Digest(raw.output), image.root.descriptor.digest)
          << image.name.ToString();
    }
  }

  TempDir dir_;
  std::string package_ = dir_.File("package");
  std::string archive_ = package_ + "/images.tar";
};

TEST_F(ImageSyncArchiveTest, PushesFromTheArchiveExactlyAndReRunIsANoOp) {
  RegistryServer registry(dir_.path(), "archive");
  CommandResult first = ImageSync(archive_, registry.address(), "--parallel 4");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("6 images: 6 pushed"), std::string::npos) << first.output;
  ExpectAllImagesServed(registry.address());
  CommandResult again = ImageSync(archive_, registry.address());
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("6 already present"), std::string::npos) << again.output;
}

TEST_F(ImageSyncArchiveTest, UpgradeShFindsImagesTarBesideItself) {
  fs::copy_file(kSource + "/upgrade.sh", package_ + "/upgrade.sh");
  RegistryServer registry(dir_.path(), "beside");
  CommandResult pushed =
      RunCommand("IMAGE_SYNC_BIN=" + std::string(IMAGE_SYNC_BINARY) + " bash '" + package_ +
                 "/upgrade.sh' --only-sync-image --registry " + registry.address() + " --plain");
  ASSERT_EQ(pushed.exit_code, 0) << pushed.output;
  EXPECT_NE(pushed.output.find("6 images: 6 pushed"), std::string::npos) << pushed.output;
  ExpectAllImagesServed(registry.address());
}

TEST_F(ImageSyncArchiveTest, ACorruptMemberRefusesItsImageWithOneLine) {
  const bundle::OciLayout layout = bundle::OciLayout::Open(archive_).value();
  const bundle::Image& victim = layout.images().back();
  const bundle::Descriptor layer = victim.root.is_index()
                                       ? victim.root.children.front()->blobs.back()
                                       : victim.root.blobs.back();
  const bundle::BlobLocation where = layout.Locate(layer.digest);
  {
    std::fstream file(archive_, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(where.offset + layer.size / 2);
    const char was = static_cast<char>(file.get());
    file.seekp(where.offset + layer.size / 2);
    file.put(static_cast<char>(was ^ 0x7f));
  }
  RegistryServer registry(dir_.path(), "corrupt");
  CommandResult result = ImageSync(archive_, registry.address(), "--parallel 2");
  EXPECT_EQ(result.exit_code, 3) << result.output;
  const std::string last = result.output.substr(result.output.rfind("image-sync:"));
  EXPECT_NE(last.find("bundle corrupt"), std::string::npos) << last;
  EXPECT_NE(last.find(layer.digest), std::string::npos) << last;
}

TEST_F(ImageSyncArchiveTest, ACutArchiveIsRefusedWithOneLine) {
  RegistryServer registry(dir_.path(), "refused");
  CommandResult gzip = RunCommand("gzip -k '" + archive_ + "'");
  ASSERT_EQ(gzip.exit_code, 0) << gzip.output;
  fs::resize_file(archive_ + ".gz", fs::file_size(archive_ + ".gz") * 2 / 3);
  CommandResult cut_gzip = ImageSync(archive_ + ".gz", registry.address());
  EXPECT_EQ(cut_gzip.exit_code, 3) << cut_gzip.output;
  const std::string last = cut_gzip.output.substr(cut_gzip.output.rfind("image-sync:"));
  EXPECT_NE(last.find("truncated"), std::string::npos) << last;

  RegistryServer plain(dir_.path(), "refused-plain");
  fs::resize_file(archive_, fs::file_size(archive_) * 2 / 3);
  CommandResult cut = ImageSync(archive_, plain.address());
  EXPECT_EQ(cut.exit_code, 3) << cut.output;
  EXPECT_EQ(Lines(cut.output), 1) << cut.output;
  CommandResult catalog = RunCommand("curl -s http://" + plain.address() + "/v2/_catalog");
  EXPECT_EQ(catalog.output, "{\"repositories\":[]}\n");
}

// gzip/zstd of images.tar (the operator's own tools keep our member order): one pass, two
// registries at once, the same digests read back, the spool gone, a re-run a no-op.
TEST_F(ImageSyncArchiveTest, ACompressedArchiveIsPushedInOnePassToEveryRegistry) {
  const std::string spool_parent = dir_.File("tmp");
  fs::create_directories(spool_parent);
  for (const std::string tool : {"gzip", "zstd"}) {
    const std::string compressed = archive_ + (tool == "gzip" ? ".gz" : ".zst");
    CommandResult made = RunCommand(tool + " -q -k '" + archive_ + "'");
    ASSERT_EQ(made.exit_code, 0) << made.output;
    RegistryServer first(dir_.path(), tool + "-a");
    // Two targets for gzip, one for zstd (the CI budget).
    std::optional<RegistryServer> second;
    if (tool == "gzip") second.emplace(dir_.path(), tool + "-b");
    CommandResult pushed = RunCommand(
        "TMPDIR='" + spool_parent + "' " + std::string(IMAGE_SYNC_BINARY) +
        " --progress none --plain --bundle '" + compressed + "' --registry " + first.address() +
        (second ? " --registry " + second->address() : "") + " --parallel 4");
    ASSERT_EQ(pushed.exit_code, 0) << pushed.output;
    EXPECT_NE(pushed.output.find("in one pass"), std::string::npos) << pushed.output;
    EXPECT_NE(pushed.output.find("the spool peaked at"), std::string::npos) << pushed.output;
    ExpectAllImagesServed(first.address());
    if (second) ExpectAllImagesServed(second->address());
    EXPECT_TRUE(fs::is_empty(spool_parent)) << tool;
    CommandResult again = ImageSync(compressed, first.address());
    ASSERT_EQ(again.exit_code, 0) << again.output;
    EXPECT_NE(again.output.find("6 already present"), std::string::npos) << again.output;
  }
}

// A corrupt layer inside a compressed archive: exit 3 with the directory path's line, and the
// image naming it is not tagged (its blobs before it may be there: nothing names them).
TEST_F(ImageSyncArchiveTest, ACorruptMemberOfACompressedArchiveTagsNothingThatNamesIt) {
  const bundle::OciLayout layout = bundle::OciLayout::Open(dir_.File("layout")).value();
  const bundle::Image& victim = layout.images().back();
  const bundle::Descriptor layer = victim.root.is_index()
                                       ? victim.root.children.front()->blobs.back()
                                       : victim.root.blobs.back();
  {
    std::fstream file(layout.BlobPath(layer.digest),
                      std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(layer.size / 2);
    const char was = static_cast<char>(file.get());
    file.seekp(layer.size / 2);
    file.put(static_cast<char>(was ^ 0x7f));
  }
  const std::string compressed = dir_.File("corrupt.tar.zst");
  ASSERT_TRUE(
      bundle::WriteLayoutArchive(layout, compressed, bundle::ArchiveCompression::kZstd).ok());
  RegistryServer registry(dir_.path(), "corrupt-zst");
  CommandResult result = ImageSync(compressed, registry.address(), "--parallel 2");
  EXPECT_EQ(result.exit_code, 3) << result.output;
  const std::string last = result.output.substr(result.output.rfind("image-sync:"));
  EXPECT_NE(last.find("bundle corrupt: image "), std::string::npos) << last;
  EXPECT_NE(last.find(layer.digest), std::string::npos) << last;
  CommandResult raw = RunCommand("skopeo inspect --raw --tls-verify=false docker://" +
                                 registry.address() + "/" + victim.name.ToString());
  EXPECT_NE(raw.exit_code, 0) << raw.output;
}

}  // namespace
