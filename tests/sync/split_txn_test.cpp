#include <gtest/gtest.h>

#include "sync/destination_writer.h"

namespace etcdsync {
namespace {

constexpr char kCheckpointKey[] = "/etcd-sync/checkpoint";

etcd::pb::TxnRequest Txn(int data_ops, bool checkpoint) {
  etcd::pb::TxnRequest txn;
  auto* compare = txn.add_compare();
  compare->set_key("/etcd-sync/etcd-sync-mirror/abc");
  compare->set_create_revision(42);
  for (int i = 0; i < data_ops; ++i) {
    auto* put = txn.add_success()->mutable_request_put();
    put->set_key("/registry/k" + std::to_string(i));
    put->set_value("v");
  }
  if (checkpoint) {
    auto* put = txn.add_success()->mutable_request_put();
    put->set_key(kCheckpointKey);
    put->set_value("cp");
  }
  return txn;
}

std::vector<std::string> Keys(const etcd::pb::TxnRequest& txn) {
  std::vector<std::string> keys;
  for (const auto& op : txn.success()) keys.push_back(op.request_put().key());
  return keys;
}

TEST(SplitTxnTest, HalvesDataAndKeepsTheCheckpointInTheLastPart) {
  auto parts = SplitTxn(Txn(5, true), kCheckpointKey);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(Keys(parts[0]), (std::vector<std::string>{"/registry/k0", "/registry/k1"}));
  EXPECT_EQ(Keys(parts[1]), (std::vector<std::string>{"/registry/k2", "/registry/k3",
                                                      "/registry/k4", kCheckpointKey}));
  for (const auto& part : parts) {
    ASSERT_EQ(part.compare_size(), 1);  // every part keeps the fence
    EXPECT_EQ(part.compare(0).create_revision(), 42);
  }
}

TEST(SplitTxnTest, OneValueWithTheCheckpointBecomesValueThenCheckpoint) {
  auto parts = SplitTxn(Txn(1, true), kCheckpointKey);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(Keys(parts[0]), std::vector<std::string>{"/registry/k0"});
  EXPECT_EQ(Keys(parts[1]), std::vector<std::string>{kCheckpointKey});
}

TEST(SplitTxnTest, ASingleOperationCannotBeSplit) {
  EXPECT_TRUE(SplitTxn(Txn(1, false), kCheckpointKey).empty());
  EXPECT_TRUE(SplitTxn(Txn(0, true), kCheckpointKey).empty());
}

TEST(SplitTxnTest, WithoutACheckpointKeyEveryPutIsData) {
  auto parts = SplitTxn(Txn(2, false), "");
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].success_size(), 1);
  EXPECT_EQ(parts[1].success_size(), 1);
}

}  // namespace
}  // namespace etcdsync
