#include "cli/yaml_config.h"

#include <gtest/gtest.h>

#include <fstream>

namespace {

struct Parsed {
  std::string endpoints;
  std::string prefix = "/registry/";
  std::vector<std::string> excluded;
  bool verbose = false;
};

int Parse(const std::string& yaml, std::vector<std::string> args, Parsed& out,
          std::string* message = nullptr) {
  // One file per test: ctest runs the tests as parallel processes sharing TempDir().
  const std::string path = testing::TempDir() + "/config-" +
                           testing::UnitTest::GetInstance()->current_test_info()->name() + ".yaml";
  std::ofstream(path) << yaml;
  CLI::App app;
  cli::UseYamlConfig(app, "settings");
  app.add_option("--source-endpoints", out.endpoints);
  app.add_option("--prefix", out.prefix);
  app.add_option("--exclude-prefix", out.excluded);
  app.add_flag("--print-detail-logs", out.verbose);
  args.insert(args.begin(), {"prog", "--config", path});
  std::vector<const char*> argv;
  for (auto& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    if (message != nullptr) *message = e.what();
    return e.get_exit_code();
  }
  return 0;
}

TEST(YamlConfigTest, ReadsScalarsListsAndFlags) {
  Parsed parsed;
  ASSERT_EQ(0, Parse("source-endpoints: https://10.0.0.1:2379\n"
                     "exclude-prefix: [/registry/events/, /registry/leases/]\n"
                     "print-detail-logs: true\n",
                     {}, parsed));
  EXPECT_EQ(parsed.endpoints, "https://10.0.0.1:2379");
  EXPECT_EQ(parsed.excluded, (std::vector<std::string>{"/registry/events/", "/registry/leases/"}));
  EXPECT_TRUE(parsed.verbose);
  EXPECT_EQ(parsed.prefix, "/registry/");
}

TEST(YamlConfigTest, CommandLineWinsOverFile) {
  Parsed parsed;
  ASSERT_EQ(0, Parse("prefix: /from-file/\n", {"--prefix", "/from-flag/"}, parsed));
  EXPECT_EQ(parsed.prefix, "/from-flag/");
}

TEST(YamlConfigTest, UnknownKeyIsAnError) {
  Parsed parsed;
  EXPECT_NE(0, Parse("source-endpoint: typo:2379\n", {}, parsed));
}

TEST(YamlConfigTest, InvalidYamlIsAnError) {
  Parsed parsed;
  EXPECT_NE(0, Parse("prefix: [unclosed\n", {}, parsed));
}

// Odd shapes are one-line parse errors, never an uncaught exception.
std::string Refusal(const std::string& yaml) {
  Parsed parsed;
  std::string message;
  EXPECT_NE(0, Parse(yaml, {}, parsed, &message)) << yaml.substr(0, 80);
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  return message;
}

TEST(YamlConfigTest, ListOfMapsIsOneLine) {
  const std::string message = Refusal("exclude-prefix: [{a: b}]\n");
  EXPECT_NE(message.find("\"exclude-prefix\" must be a value or a list of values"),
            std::string::npos)
      << message;
}

TEST(YamlConfigTest, MapValueIsOneLine) {
  const std::string message = Refusal("prefix:\n  a: b\n");
  EXPECT_NE(message.find("\"prefix\" must be a value"), std::string::npos) << message;
}

TEST(YamlConfigTest, ComplexKeyIsOneLine) {
  const std::string message = Refusal("? [a, b]\n: c\n");
  EXPECT_NE(message.find("every key must be a flag name"), std::string::npos) << message;
}

TEST(YamlConfigTest, ListOfListsIsOneLine) { Refusal("exclude-prefix: [[a], b]\n"); }

TEST(YamlConfigTest, FileOverOneMebibyteIsRefused) {
  const std::string big = "prefix: /registry/\n" + std::string(cli::kMaxConfigBytes, '#');
  const std::string message = Refusal(big);
  EXPECT_NE(message.find("larger than 1024 KiB"), std::string::npos) << message;
}

TEST(YamlConfigTest, DeepFlowNestingIsRefusedBeforeParsing) {
  const std::string message =
      Refusal("exclude-prefix: " + std::string(100, '[') + std::string(100, ']') + "\n");
  EXPECT_NE(message.find("nested more than"), std::string::npos) << message;
}

TEST(YamlConfigTest, DeepBlockNestingIsRefusedBeforeParsing) {
  std::string yaml;
  for (int level = 0; level < 40; ++level) yaml += std::string(level, ' ') + "k:\n";
  EXPECT_NE(Refusal(yaml).find("nested more than"), std::string::npos);
  std::string dashes = "exclude-prefix:\n";
  for (int i = 0; i < 40; ++i) dashes += "- ";
  EXPECT_NE(Refusal(dashes + "x\n").find("nested more than"), std::string::npos);
}

TEST(YamlConfigTest, DeepNestingHiddenFromThePreScanStillFailsCleanly) {
  // Brackets the pre-scan takes for quoted text: yaml-cpp's depth guard stops the parser.
  std::string yaml = "exclude-prefix: [a'b, ";
  for (int i = 0; i < 100000; ++i) yaml += "[";
  Refusal(yaml + "\n");
}

TEST(YamlConfigTest, IpV6EndpointsAndQuotedBracketsAreFine) {
  Parsed parsed;
  ASSERT_EQ(0, Parse("source-endpoints: https://[fd00::1]:2379,https://[fd00::2]:2379\n"
                     "exclude-prefix: ['/registry/[[[[[[[[[[[[[[[[[[[[/']\n",
                     {}, parsed));
  EXPECT_EQ(parsed.excluded, (std::vector<std::string>{"/registry/[[[[[[[[[[[[[[[[[[[[/"}));
}

}  // namespace
