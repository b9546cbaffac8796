// Bounded JSON/YAML parsing: hostile nesting refused by the pre-scan (before the recursive
// parsers could overflow the stack), sizes capped, ordinary documents unaffected.
#include "common/bounded_parse.h"

#include <gtest/gtest.h>

#include <string>

#include "support/status_text.h"

namespace common {
namespace {

using testing_support::Message;

TEST(BoundedParseTest, JsonWithinLimitsParses) {
  auto parsed = ParseJsonBounded(R"({"a": [1, {"b": "x]]]]{{{"}], "c": "\"[["})", 1024, 3, "doc");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ((*parsed)["a"][1]["b"], "x]]]]{{{");
}

TEST(BoundedParseTest, DeepJsonIsRefusedNotCrashing) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  auto parsed = ParseJsonBounded(deep, 1 << 20, 64, "index.json");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(Message(parsed.status()), "index.json nests deeper than 64 levels; refusing it");
  // Brackets inside strings do not count; escaped quotes do not end a string.
  EXPECT_TRUE(CheckJsonDepth(R"(["\"[[[[[[[[[["])", 2, "x").ok());
  EXPECT_FALSE(CheckJsonDepth("[[[", 2, "x").ok());
  EXPECT_TRUE(CheckJsonDepth("[[]]", 2, "x").ok());
}

TEST(BoundedParseTest, JsonSizeAndSyntaxErrorsNameTheInput) {
  auto big = ParseJsonBounded(std::string(2000, ' ') + "{}", 1000, 8, "manifest sha256:ab");
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(Message(big.status()),
            "manifest sha256:ab is 2002 bytes, more than the 1000 allowed; refusing it");
  auto bad = ParseJsonBounded("{\"secret-ish input", 1000, 8, "reply");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(Message(bad.status()).find("reply is not JSON"), std::string::npos);
  EXPECT_EQ(Message(bad.status()).find("secret-ish"), std::string::npos);
}

TEST(BoundedParseTest, YamlWithinLimitsParses) {
  const char* text = R"(# a comment [[[[
name: x   # {{{{
list:
  - a
  - - b
    - c
map:
  inner:
    deeper: {a: [1, 2], b: "[[[[", c: 'it''s [['}
script: |
          [[[[[[[[[[[[[[[[[
             - - - - - - - - -
after: it's a plain [scalar]
)";
  auto parsed = ParseYamlBounded(text, 4096, 6, "values.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ((*parsed)["map"]["inner"]["deeper"]["c"].as<std::string>(), "it's [[");
  EXPECT_EQ((*parsed)["after"].as<std::string>(), "it's a plain [scalar]");
}

TEST(BoundedParseTest, DeepYamlIsRefusedInEveryForm) {
  std::string flow = std::string(100000, '[') + std::string(100000, ']');
  std::string flow_map;
  for (int i = 0; i < 20000; ++i) flow_map += "{a: ";
  flow_map += "x" + std::string(20000, '}');
  std::string compact;
  for (int i = 0; i < 50000; ++i) compact += "- ";
  compact += "x\n";
  std::string block;
  for (int i = 0; i < 200; ++i) block += std::string(i, ' ') + "a:\n";
  for (const std::string* text : {&flow, &flow_map, &compact, &block}) {
    auto parsed = ParseYamlBounded(*text, 1 << 20, 64, "package.yaml");
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(Message(parsed.status()), "package.yaml nests deeper than 64 levels; refusing it");
  }
}

TEST(BoundedParseTest, YamlSizeAndSyntaxErrors) {
  auto big = ParseYamlBounded(std::string(5000, 'a'), 4096, 8, "package.yaml");
  ASSERT_FALSE(big.ok());
  EXPECT_NE(Message(big.status()).find("more than the 4096 allowed"), std::string::npos);
  auto bad = ParseYamlBounded("a: [1, 2\n", 4096, 8, "package.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(Message(bad.status()).find("package.yaml is not YAML (line"), std::string::npos);
}

}  // namespace
}  // namespace common
