// etcd-workload lag's probe against one real etcd (source and destination the same, so every
// probe arrives): every probe is timed, with new keys or with a bounded ring of keys.
#include "workload/lag_probe.h"

#include <gtest/gtest.h>

#include "etcd/client.h"
#include "etcd/key_range.h"
#include "support/etcd_member.h"
#include "support/temp_dir.h"

namespace {

using testing_support::EtcdMember;
using testing_support::TempDir;

int64_t KeysUnder(etcd::Client& client, const std::string& prefix) {
  etcd::pb::RangeRequest count;
  count.set_key(prefix);
  count.set_range_end(etcd::PrefixRangeEnd(prefix));
  count.set_count_only(true);
  auto response = client.Range(count);
  EXPECT_TRUE(response.ok()) << response.status();
  return response.ok() ? response->count() : -1;
}

TEST(LagProbeTest, EveryProbeIsTimedWithNewKeysOrARingOfKeys) {
  TempDir dir;
  EtcdMember etcd(dir.path(), "single");
  for (const int64_t keys : {int64_t{0}, int64_t{7}}) {
    SCOPED_TRACE(keys);
    workload::LagOptions options;
    options.prefix = "/lag-" + std::to_string(keys) + "/";
    options.rate_per_second = 150;
    options.duration = std::chrono::seconds(1);
    options.value_size = 64;
    options.keys = keys;
    auto result = workload::MeasureLag(etcd.client(), etcd.client(), options);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->sent, 150);
    EXPECT_EQ(result->received, 150);
    EXPECT_GT(result->max_ms, 0);
    EXPECT_EQ(KeysUnder(etcd.client(), options.prefix), keys == 0 ? 150 : keys);
  }
}

}  // namespace
