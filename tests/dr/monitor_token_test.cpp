// --monitor-token-file of `ac adm dr` and `ac console`: the monitor's bearer token read from a
// file only its owner can read, one line naming the file (never the token) otherwise; a 401
// from /check says which flag to give.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <fstream>

#include "dr/gates.h"
#include "dr/monitor_client.h"
#include "support/temp_dir.h"

namespace dr {
namespace {

std::string Write(const testing_support::TempDir& dir, const std::string& name,
                  const std::string& text, mode_t mode) {
  const std::string path = dir.File(name);
  std::ofstream(path) << text;
  chmod(path.c_str(), mode);
  return path;
}

TEST(MonitorTokenFileTest, TheOwnersFirstLineWithoutSurroundingSpaces) {
  testing_support::TempDir dir;
  auto token = ReadMonitorTokenFile(Write(dir, "t", "  s3cret-token \nsecond line\n", 0600));
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->Reveal(), "s3cret-token");
  EXPECT_TRUE(ReadMonitorTokenFile(Write(dir, "r", "s3cret-token", 0400)).ok());
}

TEST(MonitorTokenFileTest, RefusedWithOneLineThatNeverHoldsTheToken) {
  testing_support::TempDir dir;
  auto open = ReadMonitorTokenFile(Write(dir, "open", "s3cret-token\n", 0644));
  EXPECT_TRUE(absl::IsInvalidArgument(open.status())) << open.status();
  EXPECT_NE(open.status().message().find("mode 0644"), std::string::npos) << open.status();
  EXPECT_NE(open.status().message().find("chmod 600"), std::string::npos) << open.status();
  EXPECT_EQ(open.status().message().find("s3cret"), std::string::npos) << open.status();
  auto group = ReadMonitorTokenFile(Write(dir, "group", "s3cret-token\n", 0620));
  EXPECT_TRUE(absl::IsInvalidArgument(group.status())) << group.status();

  auto empty = ReadMonitorTokenFile(Write(dir, "empty", " \n", 0600));
  EXPECT_NE(empty.status().message().find("is empty"), std::string::npos) << empty.status();
  auto spaced = ReadMonitorTokenFile(Write(dir, "spaced", "s3cret token\n", 0600));
  EXPECT_NE(spaced.status().message().find("printable ASCII"), std::string::npos)
      << spaced.status();
  EXPECT_EQ(spaced.status().message().find("s3cret"), std::string::npos) << spaced.status();
  auto large = ReadMonitorTokenFile(Write(dir, "large", std::string(5000, 'a'), 0600));
  EXPECT_TRUE(absl::IsInvalidArgument(large.status())) << large.status();
  auto missing = ReadMonitorTokenFile(dir.File("none"));
  EXPECT_TRUE(absl::IsInvalidArgument(missing.status())) << missing.status();
  EXPECT_NE(missing.status().message().find("--monitor-token-file"), std::string::npos);
  auto directory = ReadMonitorTokenFile(dir.path());
  EXPECT_TRUE(absl::IsInvalidArgument(directory.status())) << directory.status();
}

TEST(MonitorTokenFileTest, A401FromCheckNamesTheFlag) {
  GateResult gate = EvaluateConsistency(401, "unauthorized\n", "http://m");
  EXPECT_FALSE(gate.passed);
  EXPECT_NE(gate.detail.find("bearer token"), std::string::npos) << gate.detail;
  EXPECT_NE(gate.remedy.find("--monitor-token-file"), std::string::npos) << gate.remedy;
}

}  // namespace
}  // namespace dr
