#include <gtest/gtest.h>

#include "sync/full_sync.h"

namespace etcdsync {
namespace {

std::vector<Mutation> Side(std::vector<std::pair<std::string, std::string>> kvs) {
  std::vector<Mutation> out;
  for (auto& [k, v] : kvs) {
    Mutation m;
    m.key = k;
    m.value = v;
    out.push_back(m);
  }
  return out;
}

TEST(DiffSortedTest, PutsMissingAndChangedDeletesSurplus) {
  auto diff = DiffSorted(Side({{"a", "1"}, {"b", "2"}, {"d", "4"}}),
                         Side({{"b", "2"}, {"c", "3"}, {"d", "x"}, {"e", "5"}}));
  ASSERT_EQ(diff.size(), 4u);
  EXPECT_EQ(diff[0].key, "a");
  EXPECT_EQ(diff[0].kind, Mutation::Kind::kPut);
  EXPECT_EQ(diff[1].key, "c");
  EXPECT_EQ(diff[1].kind, Mutation::Kind::kDelete);
  EXPECT_EQ(diff[2].key, "d");
  EXPECT_EQ(diff[2].value, "4");
  EXPECT_EQ(diff[3].key, "e");
  EXPECT_EQ(diff[3].kind, Mutation::Kind::kDelete);
}

TEST(DiffSortedTest, EqualSidesNeedNothing) {
  auto side = Side({{"a", "1"}, {"b", "2"}});
  EXPECT_TRUE(DiffSorted(side, side).empty());
  EXPECT_TRUE(DiffSorted({}, {}).empty());
}

TEST(DiffSortedTest, ComparesKeysAsBytes) {
  // etcd orders keys by unsigned bytes: "\xc3..." sorts after "z".
  auto diff = DiffSorted(Side({{"z", "1"}, {"\xc3\xa9", "2"}}), Side({{"z", "1"}}));
  ASSERT_EQ(diff.size(), 1u);
  EXPECT_EQ(diff[0].key, "\xc3\xa9");
}

}  // namespace
}  // namespace etcdsync
