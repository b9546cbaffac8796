// --log-format json lines, --version's line and Fail's bounded line (src/cli, common/logging).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "cli/app.h"
#include "cli/build_info.h"
#include "cli/fail.h"
#include "common/logging.h"

namespace {

TEST(JsonLogLineTest, IsOneObjectWithTheFieldsAndEscapes) {
  const std::string message = "quote \" backslash \\ newline \n tab \t bell \x07 end";
  const std::string line = common::JsonLogLine(1767323045678, "warning", "image-sync", message);
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  const nlohmann::json parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["ts"], "2026-01-02T03:04:05.678Z");
  EXPECT_EQ(parsed["level"], "warning");
  EXPECT_EQ(parsed["logger"], "image-sync");
  EXPECT_EQ(parsed["msg"], message);
}

TEST(JsonLogLineTest, InvalidUtf8IsReplacedNotThrown) {
  const std::string line = common::JsonLogLine(5, "error", "violet", "bad \xff\xfe bytes");
  const nlohmann::json parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["ts"], "1970-01-01T00:00:00.005Z");
  EXPECT_NE(parsed["msg"].get<std::string>().find("bytes"), std::string::npos);
}

TEST(VersionLineTest, NamesToolVersionCommitAndDate) {
  const std::string line = cli::VersionLine("etcd-sync");
  EXPECT_TRUE(std::regex_match(
      line,
      std::regex(
          R"(etcd-sync \d+\.\d+\.\d+ \(commit ([0-9a-f]{40}|unknown), built ([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z|unknown)\))")))
      << line;
  EXPECT_EQ(line.find(cli::BuildVersion()), std::string("etcd-sync ").size());
}

TEST(FailTest, BoundsAVeryLongLineToHeadAndTail) {
  const std::string line = cli::BoundedLine(std::string(100000, 'a') + "\n" + "the hint");
  EXPECT_LT(line.size(), 2200u);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_NE(line.find("the hint"), std::string::npos);
  EXPECT_NE(line.find("bytes ...]"), std::string::npos);
}

TEST(FailTest, ReturnsTheCode) {
  cli::SetToolName("cli-test");
  testing::internal::CaptureStderr();
  EXPECT_EQ(cli::Fail(10, "refused by a rule"), 10);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "cli-test: refused by a rule\n");
}

}  // namespace
