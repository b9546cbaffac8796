// The DR upgrade's image step reads upgrade.sh's exit code with the one table every tool
// shares (common/exit_codes.h): the failure says what the code means, not just "failed".
#include "dr/upgrade_steps.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

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

}  // namespace
}  // namespace dr
