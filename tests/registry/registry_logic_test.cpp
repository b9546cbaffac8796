// Registry client logic without a server: auth challenges, credentials sources, retry
// timing, the push plan's scheduling decisions and the progress line.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <queue>
#include <string>
#include <vector>

#include "bundle/media_types.h"
#include "registry/credentials.h"
#include "registry/progress.h"
#include "registry/push_plan.h"
#include "registry/retry_policy.h"
#include "registry/www_authenticate.h"
#include "support/temp_dir.h"

namespace {

using registry::PlanTask;

TEST(ChallengeTest, ParsesBearerAndBasic) {
  auto bearer = registry::ParseChallenge(
      R"(Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:acp/x:pull,push")");
  EXPECT_EQ(bearer.scheme, "bearer");
  EXPECT_EQ(bearer.params["realm"], "https://auth.example.com/token");
  EXPECT_EQ(bearer.params["service"], "registry.example.com");
  EXPECT_EQ(bearer.params["scope"], "repository:acp/x:pull,push");
  auto basic = registry::ParseChallenge(R"(Basic realm="test-registry")");
  EXPECT_EQ(basic.scheme, "basic");
  EXPECT_EQ(basic.params["realm"], "test-registry");
}

TEST(CredentialsTest, DecodesLegacyBase64AndNeverEchoesIt) {
  auto creds = registry::DecodeBase64Credentials("YWxpY2U6czNjcjp0");  // alice:s3cr:t
  ASSERT_TRUE(creds.ok());
  EXPECT_EQ(creds->username, "alice");
  EXPECT_EQ(creds->password.Reveal(), "s3cr:t");
  EXPECT_EQ(fmt::format("{}", creds->password), "***");
  auto bad = registry::DecodeBase64Credentials("bm9jb2xvbg==");  // "nocolon"
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(std::string(bad.status().message()).find("bm9jb2xvbg"), std::string::npos);
}

TEST(CredentialsTest, ReadsDockerConfigAuths) {
  testing_support::TempDir dir;
  std::ofstream(dir.File("config.json"))
      << R"({"auths":{"https://reg.example.com:5000/v1/":{"auth":"Ym9iOnB3"},)"
      << R"("other:1":{"username":"carol","password":"pw2"}}})";
  auto found = registry::LookupAuthFile(dir.File("config.json"), "reg.example.com:5000");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->credentials.username, "bob");
  EXPECT_EQ((*found)->credentials.password.Reveal(), "pw");
  auto other = registry::LookupAuthFile(dir.File("config.json"), "other:1");
  ASSERT_TRUE(other.ok() && other->has_value());
  EXPECT_EQ((*other)->credentials.username, "carol");
  auto none = registry::LookupAuthFile(dir.File("config.json"), "unknown:5000");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_FALSE(registry::LookupAuthFile(dir.File("missing.json"), "x")->has_value());
}

// A hostile or broken auth file is refused with one line that quotes none of it (it may hold
// passwords); it never crashes, blocks or is read past its limit.
TEST(CredentialsTest, HostileAuthFilesAreRefusedWithOneLine) {
  struct Case {
    std::string name, content, expected;
  };
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const std::vector<Case> cases = {
      {"deep", R"({"auths":{"reg:1":)" + deep + "}}", "nests deeper than 64 levels"},
      {"large", R"({"auths":{},"x":")" + std::string(2 << 20, 'a') + R"("})",
       "more than the 1048576"},
      {"not JSON", R"({"auths":{"reg:1":{"auth":"c2VjcmV0OnB3"})", "is not JSON"},
      {"numbers", R"({"auths":{"reg:1":{"username":1,"password":2}}})",
       "needs \"username\" and \"password\" as strings"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    testing_support::TempDir dir;
    std::ofstream(dir.File("config.json")) << c.content;
    auto found = registry::LookupAuthFile(dir.File("config.json"), "reg:1");
    ASSERT_FALSE(found.ok());
    const std::string message(found.status().message());
    EXPECT_NE(message.find(c.expected), std::string::npos) << message.substr(0, 300);
    EXPECT_NE(message.find("auth file " + dir.File("config.json")), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message.substr(0, 300);
    EXPECT_EQ(message.find("c2VjcmV0"), std::string::npos) << message;
    EXPECT_LT(message.size(), 400u) << message.substr(0, 300);
  }
  testing_support::TempDir dir;
  ASSERT_EQ(mkfifo(dir.File("config.json").c_str(), 0600), 0);
  auto fifo = registry::LookupAuthFile(dir.File("config.json"), "reg:1");  // used to block
  ASSERT_FALSE(fifo.ok());
  EXPECT_NE(std::string(fifo.status().message()).find("is a FIFO"), std::string::npos);
}

TEST(RetryPolicyTest, BackoffGrowsAndRetryAfterWins) {
  registry::RetryPolicy policy;
  EXPECT_EQ(policy.Backoff(2).count(), 500);
  EXPECT_EQ(policy.Backoff(3).count(), 1000);
  EXPECT_EQ(policy.Backoff(30).count(), 30000);
  EXPECT_TRUE(registry::IsRetryableStatus(503));
  EXPECT_TRUE(registry::IsRetryableStatus(429));
  EXPECT_FALSE(registry::IsRetryableStatus(404));
  const auto now = std::chrono::system_clock::from_time_t(1700000000);  // 2023-11-14 22:13:20
  EXPECT_EQ(registry::ParseRetryAfter("7", now)->count(), 7000);
  EXPECT_EQ(registry::ParseRetryAfter("Tue, 14 Nov 2023 22:13:30 GMT", now)->count(), 10000);
  EXPECT_FALSE(registry::ParseRetryAfter("soon", now).has_value());
}

bundle::Descriptor Blob(const std::string& id, int64_t size) {
  return {std::string(bundle::kOciLayerGzip), "sha256:" + std::string(63, '0') + id, size};
}

bundle::Image Image(const std::string& repository, const std::string& tag,
                    std::vector<bundle::Descriptor> blobs, const std::string& id) {
  bundle::Image image;
  image.name = {repository, tag};
  image.root.descriptor = {std::string(bundle::kOciManifest), "sha256:" + std::string(63, 'f') + id,
                           1};
  image.root.blobs = std::move(blobs);
  return image;
}

TEST(PushPlanTest, UploadsEachBlobOnceAndMountsElsewhere) {
  const auto base = Blob("1", 1000);
  std::vector<bundle::Image> images = {
      Image("acp/a", "v1", {Blob("a", 10), base, Blob("2", 50)}, "a"),
      Image("acp/b", "v1", {Blob("b", 10), base}, "b"),
      Image("acp/a", "v2", {Blob("c", 10), base, Blob("2", 50)}, "c"),
  };
  std::vector<registry::ImageWork> work;
  for (const auto& image : images) work.push_back({&image, false});
  const auto plan = registry::BuildPushPlan(work);
  EXPECT_EQ(plan.uploads, 5u);  // a, 1, 2, b, c
  EXPECT_EQ(plan.upload_bytes, 10 + 1000 + 50 + 10 + 10);
  EXPECT_EQ(plan.mounts, 1u);     // base into acp/b; acp/a:v2 reuses acp/a's tasks
  EXPECT_EQ(plan.manifests, 3u);  // one tag each
  for (const PlanTask& task : plan.tasks) {
    if (task.kind == PlanTask::Kind::kMount) {
      EXPECT_EQ(task.repository, "acp/b");
      EXPECT_EQ(task.from, "acp/a");
      EXPECT_EQ(task.dependencies, 1);  // waits for the upload
    }
    if (task.kind == PlanTask::Kind::kManifest) {
      EXPECT_TRUE(task.image_root);
      EXPECT_EQ(task.dependencies, task.reference == "v1" && task.repository == "acp/b" ? 2 : 3);
    }
  }
}

TEST(PushPlanTest, IndexWaitsForChildrenAndTagOnlySkipsBlobs) {
  bundle::Image index;
  index.name = {"acp/multi", "v1"};
  index.root.descriptor = {std::string(bundle::kOciIndex), "sha256:" + std::string(64, 'e'), 1};
  index.root.children.push_back(
      std::make_shared<const bundle::ManifestNode>(Image("x", "x", {Blob("3", 5)}, "1").root));
  index.root.children.push_back(std::make_shared<const bundle::ManifestNode>(
      Image("x", "x", {Blob("3", 5), Blob("4", 5)}, "2").root));
  const auto retag = Image("acp/done", "v9", {Blob("5", 5)}, "3");
  const auto plan = registry::BuildPushPlan({{&index, false}, {&retag, true}});
  EXPECT_EQ(plan.uploads, 2u);
  EXPECT_EQ(plan.manifests, 4u);  // two children by digest, index tag, retag
  for (const PlanTask& task : plan.tasks) {
    if (task.kind != PlanTask::Kind::kManifest) continue;
    if (task.reference == "v1") {
      EXPECT_EQ(task.dependencies, 2);  // both children
    }
    if (task.reference == "v9") {
      EXPECT_EQ(task.dependencies, 0);  // nothing to upload
    }
    if (!task.image_root) {
      EXPECT_EQ(task.reference, task.manifest->descriptor.digest);
    }
  }
}

// One worker running the plan as the pusher does (the ready task of highest TaskPriority
// first): each image is complete before the uploads of the next start, so "images n/N"
// advances through the push, not all at the end (later images have the larger blobs here,
// which a largest-first order across the bundle would send first).
TEST(PushPlanTest, ImagesCompleteOneAfterAnother) {
  const auto base = Blob("1", 100);
  std::vector<bundle::Image> images;
  for (int i = 0; i < 4; ++i) {
    const std::string id(1, static_cast<char>('a' + i));
    images.push_back(Image("acp/" + id, "v1", {base, Blob(id, 1000 * (i + 1))}, id));
  }
  std::vector<registry::ImageWork> work;
  for (const auto& image : images) work.push_back({&image, false});
  auto plan = registry::BuildPushPlan(work);
  std::priority_queue<std::pair<std::tuple<int, int, int64_t>, size_t>> ready;
  for (size_t i = 0; i < plan.tasks.size(); ++i) {
    if (plan.tasks[i].dependencies == 0) ready.push({registry::TaskPriority(plan.tasks[i]), i});
  }
  int images_done = 0;
  while (!ready.empty()) {
    const PlanTask& task = plan.tasks[ready.top().second];
    ready.pop();
    if (task.kind == PlanTask::Kind::kUpload) {
      EXPECT_EQ(task.image_index, images_done) << task.blob.digest << " before its turn";
    }
    if (task.image_root) {
      EXPECT_EQ(task.image_index, images_done);
      ++images_done;
    }
    for (size_t dependent : task.dependents) {
      if (--plan.tasks[dependent].dependencies == 0) {
        ready.push({registry::TaskPriority(plan.tasks[dependent]), dependent});
      }
    }
  }
  EXPECT_EQ(images_done, 4);
}

TEST(ProgressTest, LineShowsBytesRateAndEta) {
  EXPECT_EQ(registry::ProgressLine(512 << 20, 1024 << 20, 3, 30, 8.0),
            "images 3/30  512.0 MiB/1.0 GiB  64.0 MiB/s  ETA 9s");
  EXPECT_EQ(registry::HumanDuration(std::chrono::seconds(3725)), "1h02m");
}

}  // namespace
