// A push interrupted mid-blob (SIGTERM, or kill -9 as a crash would) and run again resumes
// the registry's upload session from the local journal instead of sending the blob again;
// bytes on the wire are counted from image-sync's summary, digests checked with skopeo.
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <thread>

#include "bundle/digest.h"
#include "bundle/oci_layout.h"
#include "registry/upload_journal.h"
#include "support/child_process.h"
#include "support/etcd_member.h"
#include "support/registry_server.h"
#include "support/temp_dir.h"

namespace {

using testing_support::ChildProcess;
using testing_support::CommandResult;
using testing_support::RegistryServer;
using testing_support::RunCommand;
using testing_support::RunScript;
using testing_support::TempDir;

constexpr int64_t kMiB = 1 << 20;
constexpr int64_t kChunk = 1 * kMiB;

int64_t BytesSent(const std::string& output) {
  std::smatch match;
  const std::regex sent(R"(sent \(([0-9]+) bytes\))");
  return std::regex_search(output, match, sent) ? std::stoll(match[1]) : -1;
}

class ImageSyncResumeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RunScript(std::string(MAKE_SAMPLE_BUNDLE_BINARY) + " '" + bundle_ +
              "' --images 1 --shared-layers 0 --layers-per-image 1 --layer-mib 64 --oci-only");
    const auto layout = bundle::OciLayout::Open(bundle_).value();
    image_ = layout.images().front().name.ToString();
    root_digest_ = layout.images().front().root.descriptor.digest;
    for (const auto& blob : layout.images().front().root.blobs) {
      if (blob.size > layer_.size) layer_ = blob;
    }
    ASSERT_GE(layer_.size, 64 * kMiB);
  }

  std::vector<std::string> Args(const std::string& registry) const {
    return {IMAGE_SYNC_BINARY, "--progress", "none",        "--bundle",
            bundle_,           "--registry", registry,      "--plain",
            "--chunk-size",    "1",          "--state-dir", dir_.File("state")};
  }
  CommandResult RunAgain(const std::string& registry) const {
    std::string command;
    for (const auto& arg : Args(registry)) command += "'" + arg + "' ";
    return RunCommand(command);
  }

  // Starts a push and waits until the journal shows the big blob past half-way.
  int64_t StartAndWaitForHalf(const RegistryServer& registry, std::unique_ptr<ChildProcess>& push) {
    push = std::make_unique<ChildProcess>(Args(registry.address()), dir_.File("first.log"));
    const registry::UploadJournal journal(dir_.File("state"), registry.address());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      if (auto entry = journal.Load(layer_.digest); entry && entry->offset >= layer_.size / 2) {
        return entry->offset;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    ADD_FAILURE() << "the journal never passed half of the blob: " << push->Log();
    return -1;
  }

  void ExpectServedAndJournalGone(const RegistryServer& registry) {
    CommandResult raw = RunCommand("skopeo inspect --raw --tls-verify=false docker://" +
                                   registry.address() + "/" + image_);
    ASSERT_EQ(raw.exit_code, 0) << raw.output;
    EXPECT_EQ(bundle::Sha256Digest(raw.output), root_digest_);
    // skopeo copy verifies the 64 MiB layer's digest as it pulls it.
    CommandResult copy =
        RunCommand("skopeo copy --src-tls-verify=false docker://" + registry.address() + "/" +
                   image_ + " oci:" + dir_.File("pulled") + ":x");
    EXPECT_EQ(copy.exit_code, 0) << copy.output;
    const registry::UploadJournal journal(dir_.File("state"), registry.address());
    EXPECT_FALSE(journal.Load(layer_.digest).has_value());
  }

  TempDir dir_;
  std::string bundle_ = dir_.File("bundle");
  std::string image_, root_digest_;
  bundle::Descriptor layer_;
};

TEST_F(ImageSyncResumeTest, SigtermStopsAtAChunkAndTheNextRunResumesThere) {
  RegistryServer registry(dir_.path(), "term");
  std::unique_ptr<ChildProcess> push;
  ASSERT_GT(StartAndWaitForHalf(registry, push), 0);
  push->Terminate();
  ASSERT_EQ(push->WaitExit(std::chrono::seconds(30)), 1) << push->Log();
  EXPECT_NE(push->Log().find("interrupted; run the same command again to resume"),
            std::string::npos)
      << push->Log();
  const auto entry =
      registry::UploadJournal(dir_.File("state"), registry.address()).Load(layer_.digest);
  ASSERT_TRUE(entry.has_value());

  CommandResult again = RunAgain(registry.address());
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("resuming upload of image " + image_ + " blob " + layer_.digest +
                              " at byte " + std::to_string(entry->offset)),
            std::string::npos)
      << again.output;
  // Only what the registry did not hold went out again: under half of the blob.
  const int64_t sent = BytesSent(again.output);
  EXPECT_EQ(sent, layer_.size - entry->offset) << again.output;
  EXPECT_LT(sent, layer_.size / 2 + kChunk);
  ExpectServedAndJournalGone(registry);
}

// Distribution (docker-registry 2.8) signs the offset into each session URL and refuses a
// session holding bytes past it, which a chunk cut off by kill -9 usually leaves behind.
// Whatever the registry kept, the next run must continue it or start afresh, and be exact.
TEST_F(ImageSyncResumeTest, KillNineThenRunAgainResumesWhatTheRegistryKept) {
  RegistryServer registry(dir_.path(), "kill");
  std::unique_ptr<ChildProcess> push;
  ASSERT_GT(StartAndWaitForHalf(registry, push), 0);
  push->Kill();
  push->WaitExit(std::chrono::seconds(10));
  const auto entry =
      registry::UploadJournal(dir_.File("state"), registry.address()).Load(layer_.digest);
  ASSERT_TRUE(entry.has_value());
  // Ask the registry (with curl, not our client) what the session holds now.
  CommandResult status = RunCommand("curl -s -o /dev/null -D - '" + entry->location + "'");
  std::smatch range;
  const bool kept = std::regex_search(status.output, range, std::regex(R"(Range: 0-([0-9]+))"));

  CommandResult again = RunAgain(registry.address());
  ASSERT_EQ(again.exit_code, 0) << again.output;
  const int64_t sent = BytesSent(again.output);
  if (kept) {
    const int64_t held = std::stoll(range[1]) + 1;
    EXPECT_NE(again.output.find("resuming upload"), std::string::npos) << again.output;
    EXPECT_EQ(sent, layer_.size - held) << again.output;
    EXPECT_LT(sent, layer_.size / 2 + kChunk);
  } else {
    EXPECT_NE(again.output.find("is gone; starting it again"), std::string::npos) << again.output;
    EXPECT_EQ(sent, layer_.size) << again.output;
  }
  RecordProperty("registry_kept_session", kept ? "yes" : "no");
  ExpectServedAndJournalGone(registry);
}

}  // namespace
