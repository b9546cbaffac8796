#include "etcd/endpoint.h"

#include <gtest/gtest.h>

namespace etcd {
namespace {

TEST(EndpointTest, ParsesForms) {
  auto plain = ParseEndpoint("10.0.0.1:2379");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->host, "10.0.0.1");
  EXPECT_EQ(plain->port, 2379);
  EXPECT_EQ(plain->scheme, Endpoint::Scheme::kUnspecified);

  auto https = ParseEndpoint("https://etcd.example:2379/");
  ASSERT_TRUE(https.ok());
  EXPECT_EQ(https->scheme, Endpoint::Scheme::kHttps);
  EXPECT_EQ(https->Target(), "etcd.example:2379");

  auto ipv6 = ParseEndpoint("http://[fd00::1]:2379");
  ASSERT_TRUE(ipv6.ok());
  EXPECT_EQ(ipv6->host, "fd00::1");
  EXPECT_EQ(ipv6->Target(), "[fd00::1]:2379");
  EXPECT_EQ(ipv6->ToString(), "http://[fd00::1]:2379");
}

TEST(EndpointTest, RejectsMistakesWithAReason) {
  for (const char* bad : {"", "host", "host:", "host:0", "host:70000", "host:12ab", "ftp://host:1",
                          "fd00::1:2379", "[fd00::1:2379", ":2379"}) {
    auto parsed = ParseEndpoint(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    EXPECT_NE(std::string(parsed.status().message()).find("expected host:port"), std::string::npos)
        << parsed.status().message();
  }
}

TEST(EndpointTest, ParsesLists) {
  auto list = ParseEndpoints("a:1, https://b:2 ,c:3");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[1].ToString(), "https://b:2");
  EXPECT_FALSE(ParseEndpoints("a:1,,b:2").ok());
  EXPECT_FALSE(ParseEndpoints("").ok());
}

}  // namespace
}  // namespace etcd
