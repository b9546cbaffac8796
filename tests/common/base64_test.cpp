#include "common/base64.h"

#include <gtest/gtest.h>

namespace common {
namespace {

TEST(Base64Test, RoundTripsBinary) {
  const std::string bytes("\x00\xff\x10user:pa ss\n", 14);
  for (size_t length = 0; length <= bytes.size(); ++length) {
    const std::string part = bytes.substr(0, length);
    EXPECT_EQ(DecodeBase64(EncodeBase64(part)), part) << length;
  }
}

TEST(Base64Test, ToleratesWhitespaceAndMissingPadding) {
  EXPECT_EQ(EncodeBase64("user:pass"), "dXNlcjpwYXNz");
  EXPECT_EQ(DecodeBase64("dXNl\ncjpw YXNz"), "user:pass");
  EXPECT_EQ(DecodeBase64("YQ"), "a");
  EXPECT_EQ(DecodeBase64("YQ=="), "a");
}

TEST(Base64Test, RejectsGarbage) {
  EXPECT_FALSE(DecodeBase64("not*base64").has_value());
  EXPECT_FALSE(DecodeBase64("abcde").has_value());
}

}  // namespace
}  // namespace common
