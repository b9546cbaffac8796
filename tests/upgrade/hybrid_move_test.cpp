// The hybrid-package check: which architectures each image of a bundle offers (indexes and
// lone manifests), and which images lack one the nodes run.
#include "upgrade/hybrid_move.h"

#include <gtest/gtest.h>

#include "bundle/sample_bundle.h"
#include "support/temp_dir.h"

namespace upgrade {
namespace {

TEST(HybridMoveTest, ImagesMissingArchitectures) {
  const std::vector<ImageArchitectures> images = {
      {"acp/a:v1", {"amd64", "arm64"}}, {"acp/b:v1", {"amd64"}}, {"acp/c:v1", {}}};
  EXPECT_EQ(ImagesMissingArchitectures(images, {"amd64"}),
            std::vector<std::string>{"acp/c:v1 (has no architecture; lacks amd64)"});
  EXPECT_EQ(ImagesMissingArchitectures(images, {"amd64", "arm64"}),
            (std::vector<std::string>{"acp/b:v1 (has amd64; lacks arm64)",
                                      "acp/c:v1 (has no architecture; lacks amd64, arm64)"}));
  EXPECT_TRUE(ImagesMissingArchitectures({images[0]}, {"amd64", "arm64"}).empty());
}

TEST(HybridMoveTest, ReadsPlatformsFromTheBundle) {
  testing_support::TempDir dir;
  bundle::SampleBundleOptions options;
  options.images = 4;
  options.layer_bytes = 1024;
  options.shared_layer_bytes = 1024;
  ASSERT_TRUE(bundle::WriteSampleBundle(dir.path(), options).ok());
  auto layout = bundle::OciLayout::Open(dir.path());
  ASSERT_TRUE(layout.ok()) << layout.status();
  auto images = BundleArchitectures(*layout);
  ASSERT_TRUE(images.ok()) << images.status();
  bool multi = false, single = false;
  for (const ImageArchitectures& image : *images) {
    EXPECT_TRUE(image.platforms.contains("amd64")) << image.image;
    multi = multi || image.platforms.contains("arm64");
    single = single || image.platforms.size() == 1;
  }
  EXPECT_TRUE(multi && single);  // the sample has both kinds

  auto amd64 = CheckHybridBundle(dir.path(), {"amd64"});
  ASSERT_TRUE(amd64.ok());
  EXPECT_TRUE(amd64->covered) << amd64->line;
  auto both = CheckHybridBundle(dir.path(), {"amd64", "arm64"});
  ASSERT_TRUE(both.ok());
  EXPECT_FALSE(both->covered);
  EXPECT_NE(both->line.find("lack an architecture the global cluster's nodes run (amd64, arm64)"),
            std::string::npos)
      << both->line;
  EXPECT_FALSE(CheckHybridBundle(dir.File("absent"), {"amd64"}).ok());
}

}  // namespace
}  // namespace upgrade
