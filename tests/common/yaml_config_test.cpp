#include "common/yaml_config.h"

#include <gtest/gtest.h>

#include <fstream>

namespace {

struct Parsed {
  std::string endpoints;
  std::string prefix = "/registry/";
  std::vector<std::string> excluded;
  bool verbose = false;
};

int Parse(const std::string& yaml, std::vector<std::string> args, Parsed& out) {
  const std::string path = testing::TempDir() + "/config.yaml";
  std::ofstream(path) << yaml;
  CLI::App app;
  common::UseYamlConfig(app, "settings");
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

}  // namespace
