// The registry client's rules for hostile or slow peers, without a server: where credentials
// may go (token realms), the minimum-speed window and the request deadlines, and clipping
// of untrusted text in messages.
#include <gtest/gtest.h>

#include "common/untrusted_text.h"
#include "registry/realm_policy.h"
#include "registry/transfer_limits.h"

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

enum Expect { kSend, kNoCredentials, kInvalid };

TEST(RealmPolicyTest, CredentialsGoOnlyWhereTheRuleAllows) {
  struct Case {
    const char* registry;
    const char* realm;
    bool plain_allowed;
    Expect expect;
  };
  const Case cases[] = {
      // TLS realm: any host, as docker and containerd (auth.docker.io for docker.io).
      {"https://reg.example.com:5000", "https://reg.example.com:5000/auth", false, kSend},
      {"https://registry-1.docker.io", "https://auth.docker.io/token", false, kSend},
      {"http://10.0.0.5:5000", "https://auth.example.com/token", true, kSend},
      // Never a downgrade from an https registry, whatever --plain says.
      {"https://reg.example.com", "http://reg.example.com/token", false, kNoCredentials},
      {"https://reg.example.com", "http://reg.example.com/token", true, kNoCredentials},
      {"https://reg.example.com", "http://evil.example.net/token", false, kNoCredentials},
      // Plain registry: plain realm only with --plain and on the registry's own host.
      {"http://10.0.0.5:5000", "http://10.0.0.5:5001/token", true, kSend},
      {"http://Reg.Example.com:5000", "http://reg.example.COM/token", true, kSend},
      {"http://10.0.0.5:5000", "http://10.0.0.5:5000/token", false, kNoCredentials},
      {"http://10.0.0.5:5000", "http://10.0.0.6:5000/token", true, kNoCredentials},
      {"http://[fd00::1]:5000", "http://[fd00::1]:5001/token", true, kSend},
      // Not a URL we ask at all.
      {"https://reg.example.com", "file:///etc/passwd", false, kInvalid},
      {"https://reg.example.com", "ftp://reg.example.com/token", false, kInvalid},
      {"https://reg.example.com", "/token", false, kInvalid},
      {"https://reg.example.com", "reg.example.com/token", false, kInvalid},
      {"https://reg.example.com", "https://user:pw@reg.example.com/token", false, kInvalid},
      {"https://reg.example.com", "", false, kInvalid},
  };
  for (const Case& c : cases) {
    const absl::Status status =
        registry::CredentialsMayGoToRealm(c.registry, c.realm, c.plain_allowed);
    const Expect got = status.ok()                        ? kSend
                       : absl::IsPermissionDenied(status) ? kNoCredentials
                       : absl::IsInvalidArgument(status)  ? kInvalid
                                                          : Expect(-1);
    EXPECT_EQ(got, c.expect) << c.registry << " -> " << c.realm << " plain=" << c.plain_allowed
                             << ": " << status;
    EXPECT_EQ(std::string(status.message()).find('\n'), std::string::npos);
  }
  const absl::Status downgrade = registry::CredentialsMayGoToRealm(
      "https://reg.example.com", "http://reg.example.com/token", true);
  EXPECT_NE(std::string(downgrade.message()).find("plain HTTP while the registry is HTTPS"),
            std::string::npos)
      << downgrade;
}

TEST(RealmPolicyTest, OriginIsSchemeHostAndExplicitPort) {
  EXPECT_EQ(registry::Origin("https://Registry.Example:5000/v2/x?y=1"),
            "https://registry.example:5000");
  EXPECT_EQ(registry::Origin("https://registry.example/token"), "https://registry.example:443");
  EXPECT_EQ(registry::Origin("http://[::1]:8080/a"), "http://[::1]:8080");
  EXPECT_EQ(registry::Origin("not a url"), "");
}

TEST(TransferLimitsTest, DeadlineGrowsWithTheBodyAndTheCommit) {
  registry::TransferLimits limits;  // 1 KiB/s, 30 s window, 60 s per request
  EXPECT_EQ(registry::RequestDeadline(limits, 0, 0), seconds(60));
  EXPECT_EQ(registry::RequestDeadline(limits, 10 * 1024, 0), seconds(70));
  EXPECT_EQ(registry::RequestDeadline(limits, 512, 0), milliseconds(60500));
  EXPECT_EQ(registry::RequestDeadline(limits, 0, int64_t{160} << 20), seconds(70));
  limits.min_speed = 1 << 20;
  limits.request_timeout = seconds(2);
  EXPECT_EQ(registry::RequestDeadline(limits, int64_t{64} << 20, 0), seconds(66));
}

TEST(TransferLimitsTest, StallNeedsAFullWindowBelowTheMinimum) {
  registry::TransferLimits limits;
  limits.min_speed = 100;
  limits.stall = seconds(10);  // 1000 bytes per 10 s window
  registry::StallMeter meter(limits);
  const auto t0 = registry::StallMeter::Clock::time_point() + seconds(1000);
  int64_t moved = 0;
  // A trickle of 2 B/s: nothing to judge before a full window, then stalled.
  for (int s = 0; s < 10; ++s) {
    EXPECT_FALSE(meter.Stalled(t0 + seconds(s), moved += 2)) << s;
  }
  int64_t window = -1;
  EXPECT_TRUE(meter.Stalled(t0 + seconds(10), moved += 2, &window));
  EXPECT_EQ(window, 20);

  // A pause (the registry thinking) restarts the window.
  meter.Pause();
  EXPECT_FALSE(meter.Stalled(t0 + seconds(11), moved));
  EXPECT_FALSE(meter.Stalled(t0 + seconds(20), moved += 5000));
  // Fast for a while, then bursts with silences in between that still average enough.
  for (int s = 21; s < 60; ++s) {
    if (s % 5 == 0) moved += 600;
    EXPECT_FALSE(meter.Stalled(t0 + seconds(s), moved)) << s;
  }
  // Then silence: stalled once a window holds too little.
  EXPECT_TRUE(meter.Stalled(t0 + seconds(65), moved));
}

TEST(TransferLimitsTest, MessagesNameTheFlags) {
  registry::TransferLimits limits;
  const std::string stall = registry::DescribeStall(limits, 12);
  EXPECT_NE(stall.find("--min-speed 1024 B/s"), std::string::npos) << stall;
  EXPECT_NE(stall.find("--stall-seconds 30"), std::string::npos) << stall;
  const std::string small = registry::DescribeDeadline(limits, seconds(60), 0);
  EXPECT_NE(small.find("--request-timeout 60 s"), std::string::npos) << small;
  const std::string blob = registry::DescribeDeadline(limits, seconds(70), 10240);
  EXPECT_NE(blob.find("within 70 s"), std::string::npos) << blob;
}

TEST(UntrustedTextTest, ClipsLongAndControlCharacters) {
  EXPECT_EQ(common::Clip("short"), "short");
  EXPECT_EQ(common::Clip("a\nb\r\x1b[31m"), "a?b??[31m");
  const std::string clipped = common::Clip(std::string(200 * 1024, 'x'));
  EXPECT_EQ(clipped, std::string(256, 'x') + "... (204800 bytes)");
  // Never cuts a UTF-8 character in half.
  const std::string utf8 = std::string(255, 'x') + "\xc3\xa9" + "tail";
  EXPECT_EQ(common::Clip(utf8), std::string(255, 'x') + "... (261 bytes)");
}

}  // namespace
