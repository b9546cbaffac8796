// Bundle reading: digests, image names, the OCI layout reader on generated bundles
// (indexes of both kinds, a nested index) and the refusals of a corrupt bundle.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "bundle/blob_reader.h"
#include "bundle/digest.h"
#include "bundle/image_name.h"
#include "bundle/media_types.h"
#include "bundle/oci_layout.h"
#include "bundle/sample_bundle.h"
#include "registry/push_plan.h"
#include "support/status_text.h"
#include "support/temp_dir.h"

namespace {

using testing_support::TempDir;

using testing_support::Message;

TEST(DigestTest, Sha256OfKnownInput) {
  EXPECT_EQ(bundle::Sha256Digest(""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_TRUE(bundle::ValidateDigest(bundle::Sha256Digest("abc")).ok());
  EXPECT_FALSE(bundle::ValidateDigest("sha256:XYZ").ok());
  EXPECT_FALSE(bundle::ValidateDigest("sha512:" + std::string(64, 'a')).ok());
}

TEST(ImageNameTest, ParsesRepositoryAndTag) {
  auto name = bundle::ParseImageName("acp/etcd:v3.5.9");
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(name->repository, "acp/etcd");
  EXPECT_EQ(name->tag, "v3.5.9");
  auto hosted = bundle::ParseImageName("build.example.com:5000/acp/etcd:1");
  ASSERT_TRUE(hosted.ok());
  EXPECT_EQ(hosted->repository, "acp/etcd");
  EXPECT_FALSE(bundle::ParseImageName("acp/etcd").ok());
  EXPECT_FALSE(bundle::ParseImageName("ACP/etcd:1").ok());
  EXPECT_FALSE(bundle::ParseImageName("acp/etcd@sha256:abc").ok());
  EXPECT_FALSE(bundle::ParseImageName("registry:5000/acp").ok());
}

class OciLayoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bundle::SampleBundleOptions options;
    options.images = 8;
    options.shared_layer_bytes = 4096;
    options.layer_bytes = 2048;
    ASSERT_TRUE(bundle::WriteSampleBundle(dir_.path(), options).ok());
  }
  const bundle::Image& Find(const bundle::OciLayout& layout, const std::string& name) {
    for (const auto& image : layout.images()) {
      if (image.name.ToString() == name) return image;
    }
    throw std::runtime_error("no image " + name);
  }
  TempDir dir_;
};

TEST_F(OciLayoutTest, ReadsEveryKindOfImage) {
  auto layout = bundle::OciLayout::Open(dir_.path());
  ASSERT_TRUE(layout.ok()) << layout.status();
  ASSERT_EQ(layout->images().size(), 8u);
  const auto& docker = Find(*layout, "acp/component-0:v1");
  EXPECT_EQ(docker.root.descriptor.media_type, bundle::kDockerManifest);
  EXPECT_EQ(docker.root.blobs.size(), 1u + 2 + 2);  // config, shared, own layers
  const auto& oci = Find(*layout, "acp/component-1:v1");
  EXPECT_EQ(oci.root.descriptor.media_type, bundle::kOciManifest);
  const auto& index = Find(*layout, "acp/component-2:v1");
  EXPECT_EQ(index.root.descriptor.media_type, bundle::kOciIndex);
  ASSERT_EQ(index.root.children.size(), 2u);
  EXPECT_EQ(Find(*layout, "acp/component-3:v1").root.descriptor.media_type,
            bundle::kDockerManifestList);
  EXPECT_EQ(Find(*layout, "acp/component-3:v2").root.descriptor.media_type,
            bundle::kDockerManifest);
  // The last image sits in a nested index and is still found.
  EXPECT_EQ(Find(*layout, "acp/component-7:v1").root.children.size(), 2u);
  // Manifest bytes are kept verbatim (digest preserved).
  EXPECT_EQ(bundle::Sha256Digest(index.root.bytes), index.root.descriptor.digest);
}

TEST_F(OciLayoutTest, RefusesTruncatedBlobNamingImageAndBlob) {
  auto layout = bundle::OciLayout::Open(dir_.path());
  ASSERT_TRUE(layout.ok());
  const auto& image = Find(*layout, "acp/component-1:v1");
  const std::string digest = image.root.blobs.back().digest;
  std::filesystem::resize_file(layout->BlobPath(digest), 10);
  auto reopened = bundle::OciLayout::Open(dir_.path());
  ASSERT_FALSE(reopened.ok());
  EXPECT_NE(Message(reopened.status()).find("acp/component-1:v1"), std::string::npos);
  EXPECT_NE(Message(reopened.status()).find(digest), std::string::npos);
  EXPECT_NE(Message(reopened.status()).find("corrupt"), std::string::npos);
}

TEST_F(OciLayoutTest, RefusesMissingBlobAndTamperedManifest) {
  auto layout = bundle::OciLayout::Open(dir_.path());
  ASSERT_TRUE(layout.ok());
  const auto& image = Find(*layout, "acp/component-0:v1");
  const std::string config = image.root.blobs.front().digest;
  const std::string manifest = image.root.descriptor.digest;
  std::filesystem::rename(layout->BlobPath(config), layout->BlobPath(config) + ".gone");
  auto missing = bundle::OciLayout::Open(dir_.path());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(Message(missing.status()).find(config + " is missing"), std::string::npos);
  std::filesystem::rename(layout->BlobPath(config) + ".gone", layout->BlobPath(config));

  std::fstream file(layout->BlobPath(manifest), std::ios::in | std::ios::out | std::ios::binary);
  file.seekp(5);
  file.put('X');
  file.close();
  auto tampered = bundle::OciLayout::Open(dir_.path());
  ASSERT_FALSE(tampered.ok());
  EXPECT_NE(Message(tampered.status()).find("acp/component-0:v1"), std::string::npos);
}

TEST_F(OciLayoutTest, BlobReaderDetectsSameSizeCorruption) {
  auto layout = bundle::OciLayout::Open(dir_.path());
  ASSERT_TRUE(layout.ok());
  const bundle::Descriptor blob = Find(*layout, "acp/component-1:v1").root.blobs.back();
  std::fstream file(layout->BlobPath(blob.digest), std::ios::in | std::ios::out | std::ios::binary);
  file.seekp(blob.size / 2);
  file.put('\x42');
  file.close();
  bundle::BlobReader reader(layout->BlobPath(blob.digest), blob.digest, blob.size,
                            "image acp/component-1:v1 blob " + blob.digest);
  std::vector<char> buffer(1000);
  absl::Status failure;
  while (true) {
    auto got = reader.Read(buffer.data(), buffer.size());
    if (!got.ok()) {
      failure = got.status();
      break;
    }
    if (*got == 0) break;
  }
  ASSERT_FALSE(failure.ok());
  EXPECT_NE(Message(failure).find("acp/component-1:v1 blob " + blob.digest), std::string::npos);
}

TEST(OciLayoutErrorsTest, NotALayoutAndDuplicateNames) {
  TempDir dir;
  auto empty = bundle::OciLayout::Open(dir.path());
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(Message(empty.status()).find("oci-layout is missing"), std::string::npos);
  EXPECT_FALSE(bundle::OciLayout::Open(dir.File("nope")).ok());

  bundle::SampleBundleOptions options;
  options.images = 2;
  options.shared_layer_bytes = options.layer_bytes = 100;
  ASSERT_TRUE(bundle::WriteSampleBundle(dir.path(), options).ok());
  nlohmann::json index = nlohmann::json::parse(std::ifstream(dir.File("index.json")));
  index["manifests"][1]["annotations"][std::string(bundle::kRefNameAnnotation)] =
      "acp/component-0:v1";
  std::ofstream(dir.File("index.json")) << index.dump();
  auto duplicate = bundle::OciLayout::Open(dir.path());
  ASSERT_FALSE(duplicate.ok());
  EXPECT_NE(Message(duplicate.status()).find("named twice"), std::string::npos);
}

// Hostile layouts (issue 11): small on disk, costly to read. Each is built here at run time.
class HostileLayoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.File("blobs/sha256"));
    std::ofstream(dir_.File("oci-layout")) << R"({"imageLayoutVersion": "1.0.0"})";
  }
  // Stores `bytes` as a blob; its descriptor.
  nlohmann::json Blob(const std::string& bytes, std::string_view media_type) {
    const std::string digest = bundle::Sha256Digest(bytes);
    std::ofstream(dir_.File("blobs/sha256/" + digest.substr(7)), std::ios::binary) << bytes;
    return {{"mediaType", media_type}, {"digest", digest}, {"size", bytes.size()}};
  }
  void WriteIndex(const nlohmann::json& root, const std::string& name = "acp/x:v1") {
    nlohmann::json entry = root;
    entry["annotations"][std::string(bundle::kRefNameAnnotation)] = name;
    nlohmann::json index = {{"schemaVersion", 2}, {"manifests", {entry}}};
    std::ofstream(dir_.File("index.json")) << index.dump();
  }
  nlohmann::json Manifest(int n) {
    nlohmann::json config = Blob("{\"n\":" + std::to_string(n) + "}", bundle::kOciConfig);
    nlohmann::json manifest = {{"schemaVersion", 2},
                               {"mediaType", bundle::kOciManifest},
                               {"config", config},
                               {"layers", nlohmann::json::array()}};
    return Blob(manifest.dump(), bundle::kOciManifest);
  }
  TempDir dir_;
};

TEST_F(HostileLayoutTest, SharedChildrenAreReadOncePerDigest) {
  // 8 levels of 8 indexes, each listing all 8 of the level below: 8^8 paths, 57 digests.
  std::vector<nlohmann::json> level;
  for (int i = 0; i < 8; ++i) level.push_back(Manifest(i));
  for (int depth = 0; depth < 7; ++depth) {
    std::vector<nlohmann::json> above;
    for (int i = 0; i < 8; ++i) {
      nlohmann::json index = {{"schemaVersion", 2},
                              {"mediaType", bundle::kOciIndex},
                              {"annotations", {{"level", std::to_string(depth * 8 + i)}}},
                              {"manifests", level}};
      above.push_back(Blob(index.dump(), bundle::kOciIndex));
    }
    level = std::move(above);
  }
  nlohmann::json root = {
      {"schemaVersion", 2}, {"mediaType", bundle::kOciIndex}, {"manifests", level}};
  WriteIndex(Blob(root.dump(), bundle::kOciIndex));
  auto layout = bundle::OciLayout::Open(dir_.path());
  ASSERT_TRUE(layout.ok()) << layout.status();
  const bundle::ManifestNode& top = layout->images().at(0).root;
  ASSERT_EQ(top.children.size(), 8u);
  EXPECT_EQ(top.children[0]->children[3].get(), top.children[5]->children[3].get());
  // The push plan, too, walks each digest once: 56 indexes + 8 manifests by digest + the tag.
  const registry::PushPlan plan = registry::BuildPushPlan({{&layout->images().at(0), false}});
  EXPECT_EQ(plan.manifests, 8u * 7 + 8 + 1);
  EXPECT_EQ(plan.uploads, 8u);  // the configs
}

TEST_F(HostileLayoutTest, IndexNestedTooDeepIsRefused) {
  nlohmann::json below = Manifest(0);
  for (int depth = 0; depth < 10; ++depth) {
    nlohmann::json index = {
        {"schemaVersion", 2}, {"mediaType", bundle::kOciIndex}, {"manifests", {below}}};
    below = Blob(index.dump(), bundle::kOciIndex);
  }
  WriteIndex(below);
  auto layout = bundle::OciLayout::Open(dir_.path());
  ASSERT_FALSE(layout.ok());
  EXPECT_NE(Message(layout.status()).find("nests indexes more than 8 deep"), std::string::npos)
      << layout.status();
}

TEST_F(HostileLayoutTest, DeeplyNestedJsonIsRefusedNotCrashing) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  std::ofstream(dir_.File("index.json")) << deep;
  auto layout = bundle::OciLayout::Open(dir_.path());
  ASSERT_FALSE(layout.ok());
  EXPECT_NE(Message(layout.status()).find("index.json nests deeper than 32 levels"),
            std::string::npos)
      << layout.status();

  // The same inside a manifest blob the index names.
  WriteIndex(Blob("{\"a\":" + deep + "}", bundle::kOciManifest));
  auto in_manifest = bundle::OciLayout::Open(dir_.path());
  ASSERT_FALSE(in_manifest.ok());
  EXPECT_NE(Message(in_manifest.status()).find("nests deeper than 32 levels"), std::string::npos)
      << in_manifest.status();
}

TEST_F(HostileLayoutTest, OversizedManifestsAreRefusedUnread) {
  // A descriptor claiming 1 GiB: refused by its size, the blob is never read.
  const std::string digest = bundle::Sha256Digest("x");
  WriteIndex({{"mediaType", bundle::kOciManifest}, {"digest", digest}, {"size", 1 << 30}});
  auto claimed = bundle::OciLayout::Open(dir_.path());
  ASSERT_FALSE(claimed.ok());
  EXPECT_NE(Message(claimed.status()).find("is 1073741824 bytes, more than the 4194304"),
            std::string::npos)
      << claimed.status();

  std::ofstream(dir_.File("index.json")) << std::string(5 << 20, ' ') << "{}";
  auto big_index = bundle::OciLayout::Open(dir_.path());
  ASSERT_FALSE(big_index.ok());
  EXPECT_NE(Message(big_index.status()).find("index.json is 5242882 bytes, more than the 4194304"),
            std::string::npos)
      << big_index.status();
}

TEST(ImageNameTest, HandWrittenGrammarMatchesTheReference) {
  for (const char* good : {"a:1", "a.b/c__d/e-f---g:v1.0_x-y", "a0/b1:TAG", "x:_"}) {
    EXPECT_TRUE(bundle::ParseImageName(good).ok()) << good;
  }
  for (const char* bad : {"a___b:1", "a..b:1", "a._b:1", "-a:1", "a-:1", "a//b:1", "a/:1", "a_:1",
                          "a:-1", "a:.x", "a:b/c"}) {
    EXPECT_FALSE(bundle::ParseImageName(bad).ok()) << bad;
  }
  EXPECT_FALSE(bundle::ParseImageName("a:" + std::string(129, 't')).ok());
  // Long names are refused quickly, and quoted only in part.
  auto long_name = bundle::ParseImageName(std::string(50000, 'a') + ":" + std::string(50000, 't'));
  ASSERT_FALSE(long_name.ok());
  EXPECT_LT(long_name.status().message().size(), 300u);
}

}  // namespace
