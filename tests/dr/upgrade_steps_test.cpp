// The DR upgrade's image step reads upgrade.sh's exit code with the one table every tool
// shares (common/exit_codes.h): the failure says what the code means, not just "failed".
#include "dr/upgrade_steps.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>

#include "common/base64.h"
#include "common/exit_codes.h"
#include "offline_context.h"
#include "support/temp_dir.h"

namespace dr {
namespace {

absl::Status SyncImagesWithExit(int code, std::string* output) {
  testing_support::TempDir dir;
  std::ofstream(dir.File("upgrade.sh")) << "echo pushing\nexit " << code << "\n";
  DrOptions options;
  options.package_dir = dir.path();
  options.standby_registry.address = "127.0.0.1:1";
  options.standby_registry.no_auth = true;
  std::ostringstream out;
  auto context = OfflineContext(out, options);
  Journal journal = NewJournal("upgrade", {"sync-images-standby"}, "4.1", "4.2");
  StepRun run{journal, [] { return absl::OkStatus(); }, out, "sync-images-standby"};
  absl::Status status = SyncImages(*context, run, /*standby=*/true);
  *output = out.str();
  return status;
}

TEST(SyncImagesTest, NamesWhatUpgradeShsExitCodeMeans) {
  struct Case {
    int code;
    const char* meaning;
  };
  for (const Case& c :
       {Case{exit_code::kImagesMissing, "images of the release missing"},
        Case{exit_code::kClusterUnreachable, "cluster unreachable"},
        Case{exit_code::kAuthRefused, "credentials missing or refused"},
        Case{exit_code::kRegistryUnreachable, "registry unreachable"},
        Case{exit_code::kInvalidInput, "bundle or package missing, invalid or corrupt"}}) {
    std::string output;
    absl::Status status = SyncImagesWithExit(c.code, &output);
    ASSERT_FALSE(status.ok()) << c.code;
    const std::string message(status.message());
    EXPECT_NE(message.find("exited " + std::to_string(c.code) + " (" + c.meaning),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("rerun"), std::string::npos) << message;
    EXPECT_NE(output.find("pushing"), std::string::npos) << output;
  }
  std::string output;
  EXPECT_TRUE(SyncImagesWithExit(exit_code::kOk, &output).ok()) << output;
}

// A fake upgrade.sh that records its arguments, what its stdin held and the auth file it
// was given (the file is removed once the step ends), then exits with `code`.
std::string FakeUpgradeSh(const testing_support::TempDir& dir, int code) {
  std::ofstream(dir.File("upgrade.sh"))
      << "echo \"$@\" >> '" << dir.File("args") << "'\n"
      << "cat > '" << dir.File("stdin") << "'\n"
      << "while [ $# -gt 0 ]; do [ \"$1\" = --authfile ] && cp \"$2\" '" << dir.File("auth")
      << "'; shift; done\nexit " << code << "\n";
  return dir.File("args");
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

DrOptions TwoRegistries(const std::string& package_dir) {
  DrOptions options;
  options.package_dir = package_dir;
  options.standby_registry.address = "10.0.0.2:11443";
  options.standby_registry.username = "alice";
  options.standby_registry.password = common::Secret("standby-secret");
  options.primary_registry.address = "10.0.0.1:11443";
  options.primary_registry.username = "bob";
  options.primary_registry.password = common::Secret("primary-secret");
  return options;
}

TEST(SyncImagesBothTest, OneRunForBothRegistriesWithEachLoginInAPrivateAuthFile) {
  testing_support::TempDir dir;
  const std::string args = FakeUpgradeSh(dir, 0);
  std::ostringstream out;
  auto context = OfflineContext(out, TwoRegistries(dir.path()));
  Journal journal = NewJournal("upgrade", {kSyncImagesStep}, "4.1", "4.2");
  StepRun run{journal, [] { return absl::OkStatus(); }, out, kSyncImagesStep};
  ASSERT_TRUE(SyncImagesBoth(*context, run).ok()) << out.str();
  const std::string called = Read(args);
  EXPECT_EQ(std::count(called.begin(), called.end(), '\n'), 1) << called;
  EXPECT_NE(called.find("--only-sync-image --registry 10.0.0.2:11443 --registry 10.0.0.1:11443"),
            std::string::npos)
      << called;
  EXPECT_EQ(called.find("secret"), std::string::npos) << called;
  EXPECT_EQ(out.str().find("secret"), std::string::npos) << out.str();
  const nlohmann::json auth = nlohmann::json::parse(Read(dir.File("auth")));
  EXPECT_EQ(auth["auths"]["10.0.0.2:11443"]["auth"], common::EncodeBase64("alice:standby-secret"));
  EXPECT_EQ(auth["auths"]["10.0.0.1:11443"]["auth"], common::EncodeBase64("bob:primary-secret"));
  EXPECT_EQ(run.notes()["done"], nlohmann::json({"standby", "primary"}));

  // Done for both: a rerun runs nothing.
  ASSERT_TRUE(SyncImagesBoth(*context, run).ok());
  EXPECT_EQ(Read(args), called);
}

TEST(SyncImagesBothTest, AJournalOfTheTwoStepVersionResumesWithTheSideLeft) {
  // The old version pushed into the standby, then failed on the primary.
  Journal journal = NewJournal(
      "upgrade", {"check", "sync-images-standby", "sync-images-primary", "upgrade-standby"}, "4.1",
      "4.2");
  journal.steps[0].state = StepState::kDone;
  journal.steps[1].state = StepState::kDone;
  journal.steps[2].state = StepState::kFailed;
  journal.steps[2].message = "registry unreachable";
  MergeImageSteps(journal);
  ASSERT_EQ(journal.steps.size(), 3u);
  EXPECT_EQ(journal.steps[1].name, kSyncImagesStep);
  EXPECT_EQ(journal.steps[1].state, StepState::kFailed);
  EXPECT_EQ(journal.ResumeIndex(), 1u);

  testing_support::TempDir dir;
  const std::string args = FakeUpgradeSh(dir, 0);
  std::ostringstream out;
  auto context = OfflineContext(out, TwoRegistries(dir.path()));
  StepRun run{journal, [] { return absl::OkStatus(); }, out, kSyncImagesStep};
  ASSERT_TRUE(SyncImagesBoth(*context, run).ok()) << out.str();
  const std::string called = Read(args);
  EXPECT_NE(called.find("--registry 10.0.0.1:11443"), std::string::npos) << called;
  EXPECT_EQ(called.find("10.0.0.2"), std::string::npos) << called;  // the standby is done
  EXPECT_EQ(Read(dir.File("stdin")), "primary-secret\n");
  EXPECT_EQ(run.notes()["done"], nlohmann::json({"standby", "primary"}));

  // A journal of this version is left as it is.
  Journal current = NewJournal("upgrade", {"check", kSyncImagesStep}, "4.1", "4.2");
  MergeImageSteps(current);
  EXPECT_EQ(current.steps.size(), 2u);
}

TEST(SyncImagesBothTest, AFailureNamesBothRegistriesAndKeepsNeitherDone) {
  testing_support::TempDir dir;
  FakeUpgradeSh(dir, exit_code::kRegistryUnreachable);
  std::ostringstream out;
  auto context = OfflineContext(out, TwoRegistries(dir.path()));
  Journal journal = NewJournal("upgrade", {kSyncImagesStep}, "4.1", "4.2");
  StepRun run{journal, [] { return absl::OkStatus(); }, out, kSyncImagesStep};
  absl::Status status = SyncImagesBoth(*context, run);
  ASSERT_FALSE(status.ok());
  const std::string message(status.message());
  EXPECT_NE(message.find("standby registry 10.0.0.2:11443 and the primary registry 10.0.0.1"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("exited 5 (registry unreachable"), std::string::npos) << message;
  EXPECT_FALSE(run.notes().contains("done"));
}

}  // namespace
}  // namespace dr
