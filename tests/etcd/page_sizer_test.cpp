#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "etcd/range_chunks.h"

namespace etcd {
namespace {

// A page of `keys` keys of `key_bytes` and values of `value_bytes`.
pb::RangeResponse Page(int keys, size_t key_bytes, size_t value_bytes) {
  pb::RangeResponse page;
  for (int i = 0; i < keys; ++i) {
    auto* kv = page.add_kvs();
    kv->set_key(std::string(key_bytes, 'k'));
    kv->set_value(std::string(value_bytes, 'v'));
  }
  return page;
}

struct Seen {
  int keys;
  size_t key_bytes;
  size_t value_bytes;
};

TEST(PageSizerTest, LimitIsTheTargetOverTheMeanKeySeenSoFar) {
  struct Case {
    const char* name;
    int64_t target_bytes;
    int max_keys;
    int first_keys;
    std::vector<Seen> pages;
    int want;
  };
  const std::vector<Case> cases = {
      {"before any page: first_keys", 262144, 10000, 16, {}, 16},
      {"first_keys above max_keys: max_keys", 262144, 10, 16, {}, 10},
      {"first_keys below 1: 1", 262144, 10, 0, {}, 1},
      // 40 + 472 = 512 bytes a key: 256 KiB / 512 = 512 keys.
      {"512-byte keys", 262144, 10000, 16, {{16, 40, 472}}, 512},
      {"at most max_keys", 262144, 100, 16, {{16, 40, 472}}, 100},
      // A key larger than the target: still one key a page.
      {"keys larger than the target: one", 262144, 10000, 16, {{2, 40, 1 << 20}}, 1},
      // The mean of everything seen: 10 keys of 100 B and 10 of 1,900 B: 1,000 B a key.
      {"mean over pages", 100000, 10000, 16, {{10, 10, 90}, {10, 10, 1890}}, 100},
      // An empty page (the end of a chunk) teaches nothing.
      {"empty page ignored", 262144, 10000, 16, {{0, 0, 0}}, 16},
      {"empty page after one", 262144, 10000, 16, {{16, 40, 472}, {0, 0, 0}}, 512},
      // Keys and values of no bytes: the mean is taken as one byte.
      {"empty values", 1000, 10000, 16, {{5, 1, 0}}, 1000},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    PageSizer sizer(c.target_bytes, c.max_keys, c.first_keys);
    for (const Seen& seen : c.pages) sizer.Saw(Page(seen.keys, seen.key_bytes, seen.value_bytes));
    EXPECT_EQ(sizer.NextLimit(), c.want);
  }
}

TEST(PageSizerTest, AfterUntilTurnsTrueTheLimitIsMaxKeys) {
  std::atomic<bool> until{false};
  PageSizer sizer(1000, 500, 16, &until);
  EXPECT_EQ(sizer.NextLimit(), 16);
  sizer.Saw(Page(16, 50, 450));
  EXPECT_EQ(sizer.NextLimit(), 2);
  until = true;
  EXPECT_EQ(sizer.NextLimit(), 500);
}

}  // namespace
}  // namespace etcd
