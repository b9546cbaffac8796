#include "console/access_token.h"

#include <gtest/gtest.h>

#include "console/console_server.h"

namespace console {
namespace {

TEST(AccessTokenTest, NewTokensAre64HexDigitsAndDiffer) {
  auto a = NewAccessToken();
  auto b = NewAccessToken();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->Reveal().size(), 64u);
  EXPECT_EQ(a->Reveal().find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a->Reveal(), b->Reveal());
}

TEST(AccessTokenTest, OnlyTheExactTokenMatches) {
  const common::Secret token("abc123");
  EXPECT_TRUE(TokenEquals("abc123", token));
  EXPECT_FALSE(TokenEquals("abc124", token));
  EXPECT_FALSE(TokenEquals("abc12", token));
  EXPECT_FALSE(TokenEquals("abc1234", token));
  EXPECT_FALSE(TokenEquals("", token));
  EXPECT_FALSE(TokenEquals("", common::Secret("")));
  EXPECT_FALSE(TokenEquals("x", common::Secret("")));
}

TEST(AccessTokenTest, TheTokenComesFromBearerThenCookieThenQuery) {
  EXPECT_EQ(SuppliedToken("Bearer a", "ac_console_token=b", "c"), "a");
  EXPECT_EQ(SuppliedToken("Basic a", "x=1; ac_console_token=b ; y=2", "c"), "b");
  EXPECT_EQ(SuppliedToken("", "ac_console_tokenx=b", "c"), "c");
  EXPECT_EQ(SuppliedToken("", "", ""), "");
}

TEST(ListenTest, FormsOperatorsWrite) {
  auto v4 = ParseListen("127.0.0.1:8765");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 8765);
  auto v6 = ParseListen("[::1]:0");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 0);
  auto all = ParseListen(":9000");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->host, "0.0.0.0");
  auto port_only = ParseListen("9000");
  ASSERT_TRUE(port_only.ok());
  EXPECT_EQ(port_only->host, "127.0.0.1");
  for (const char* bad : {"::1:80", "host:", "host:99999", "host:8x", "[::1]80", ""}) {
    EXPECT_FALSE(ParseListen(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace console
