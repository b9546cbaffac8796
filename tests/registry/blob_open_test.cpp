// Hostile bundles: a blob that is a FIFO, a directory or a link out of the layout is refused
// at once with one line (a FIFO used to block image-sync forever), and an over-long image
// name is quoted clipped.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bundle/blob_reader.h"
#include "bundle/digest.h"
#include "bundle/media_types.h"
#include "bundle/oci_layout.h"
#include "bundle/sample_bundle.h"
#include "support/status_text.h"
#include "support/temp_dir.h"

namespace {

using testing_support::TempDir;
namespace fs = std::filesystem;

using testing_support::Message;

class HostileBlobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bundle::SampleBundleOptions options;
    options.images = 2;
    options.shared_layer_bytes = options.layer_bytes = 100;
    ASSERT_TRUE(bundle::WriteSampleBundle(bundle_, options).ok());
    auto layout = bundle::OciLayout::Open(bundle_);
    ASSERT_TRUE(layout.ok()) << layout.status();
    manifest_ = layout->images().front().root.descriptor;
    layer_ = layout->images().front().root.blobs.back();
    manifest_path_ = layout->BlobPath(manifest_.digest);
    layer_path_ = layout->BlobPath(layer_.digest);
  }

  // Reads the layer through BlobReader, as an upload does.
  absl::Status ReadLayer() {
    bundle::BlobReader reader(layer_path_, layer_.digest, layer_.size, "image x blob");
    std::vector<char> buffer(64);
    while (true) {
      auto got = reader.Read(buffer.data(), buffer.size());
      if (!got.ok()) return got.status();
      if (*got == 0) return absl::OkStatus();
    }
  }

  TempDir dir_;
  std::string bundle_ = dir_.File("bundle");
  bundle::Descriptor manifest_, layer_;
  std::string manifest_path_, layer_path_;
};

TEST_F(HostileBlobTest, FifoAsManifestBlobFailsAtOnceWithOneLine) {
  fs::remove(manifest_path_);
  ASSERT_EQ(mkfifo(manifest_path_.c_str(), 0600), 0);
  auto layout = bundle::OciLayout::Open(bundle_);  // used to block in open() forever
  ASSERT_FALSE(layout.ok());
  const std::string message = Message(layout.status());
  EXPECT_NE(message.find("is a FIFO, not a regular file"), std::string::npos) << message;
  EXPECT_NE(message.find(manifest_.digest), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST_F(HostileBlobTest, FifoOrDirectoryAsLayerFailsAtOnce) {
  fs::remove(layer_path_);
  ASSERT_EQ(mkfifo(layer_path_.c_str(), 0600), 0);
  absl::Status fifo = ReadLayer();
  ASSERT_FALSE(fifo.ok());
  EXPECT_NE(Message(fifo).find("image x blob is a FIFO"), std::string::npos) << fifo;
  EXPECT_NE(Message(fifo).find("bundle corrupt"), std::string::npos) << fifo;

  fs::remove(layer_path_);
  fs::create_directory(layer_path_);
  absl::Status directory = ReadLayer();
  ASSERT_FALSE(directory.ok());
  EXPECT_NE(Message(directory).find("is a directory"), std::string::npos) << directory;
}

TEST_F(HostileBlobTest, LinkOutOfTheLayoutIsRefusedInsideIsFollowed) {
  // Same bytes outside the bundle: the digest would match, and still it is not read.
  const std::string outside = dir_.File("outside");
  fs::copy_file(layer_path_, outside);
  const std::string inside = bundle_ + "/blobs/copy";
  fs::copy_file(layer_path_, inside);
  fs::remove(layer_path_);
  fs::create_symlink(outside, layer_path_);
  absl::Status escaped = ReadLayer();
  ASSERT_FALSE(escaped.ok());
  EXPECT_NE(Message(escaped).find("link out of the bundle"), std::string::npos) << escaped;

  fs::remove(layer_path_);
  fs::create_symlink("../copy", layer_path_);
  EXPECT_TRUE(ReadLayer().ok());

  // The bundle directory itself may be reached through a link.
  fs::create_directory_symlink(bundle_, dir_.File("linked"));
  bundle::BlobReader reader(
      dir_.File("linked") + "/blobs/sha256/" + std::string(bundle::DigestHex(layer_.digest)),
      layer_.digest, layer_.size, "image x blob");
  char buffer[256];
  auto got = reader.Read(buffer, sizeof buffer);
  EXPECT_TRUE(got.ok()) << got.status();
}

// index.json and oci-layout are opened like blobs: a FIFO, a directory or a device there is
// refused at once, naming what it is (a FIFO used to block the read forever).
TEST(HostileLayoutFileTest, FifoDirectoryOrDeviceAtIndexOrMarkerIsRefusedAtOnce) {
  struct Case {
    std::string name, kind, expected;
  };
  const std::vector<Case> cases = {
      {"index.json", "fifo", "index.json is a FIFO, not a regular file"},
      {"index.json", "directory", "index.json is a directory, not a regular file"},
      {"index.json", "device", "index.json is not a regular file"},
      {"oci-layout", "fifo", "oci-layout is a FIFO, not a regular file"},
      {"oci-layout", "directory", "oci-layout is a directory, not a regular file"},
      {"oci-layout", "device", "oci-layout is not a regular file"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name + " " + c.kind);
    TempDir dir;
    bundle::SampleBundleOptions options;
    options.images = 1;
    options.shared_layer_bytes = options.layer_bytes = 100;
    ASSERT_TRUE(bundle::WriteSampleBundle(dir.path(), options).ok());
    const std::string path = dir.File(c.name);
    fs::remove(path);
    if (c.kind == "fifo") {
      ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
    } else if (c.kind == "directory") {
      fs::create_directory(path);
    } else {
      fs::create_symlink("/dev/zero", path);
    }
    auto layout = bundle::OciLayout::Open(dir.path());
    ASSERT_FALSE(layout.ok());
    const std::string message = Message(layout.status());
    EXPECT_NE(message.find(c.expected), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(HostileNameTest, LongImageNameIsQuotedClipped) {
  TempDir dir;
  bundle::SampleBundleOptions options;
  options.images = 1;
  options.shared_layer_bytes = options.layer_bytes = 100;
  ASSERT_TRUE(bundle::WriteSampleBundle(dir.path(), options).ok());
  nlohmann::json index = nlohmann::json::parse(std::ifstream(dir.File("index.json")));
  const std::string name = "acp/" + std::string(200 * 1024, 'a') + ":v1";
  index["manifests"][0]["annotations"][std::string(bundle::kRefNameAnnotation)] = name;
  std::ofstream(dir.File("index.json")) << index.dump();
  auto layout = bundle::OciLayout::Open(dir.path());
  ASSERT_FALSE(layout.ok());
  const std::string message = Message(layout.status());
  EXPECT_LT(message.size(), 1024u) << message.substr(0, 300);
  EXPECT_NE(message.find("... (" + std::to_string(name.size()) + " bytes)"), std::string::npos)
      << message.substr(0, 300);
}

}  // namespace
