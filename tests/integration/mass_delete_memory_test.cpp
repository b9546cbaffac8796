// etcd-sync's memory after the source deletes many keys in ONE revision (a prefix delete):
// the revision arrives as one watch response and leaves as hundreds of Txns; once written,
// that memory goes back to the system instead of staying with the process for good.
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <string>

#include "etcd/key_range.h"
#include "etcd_sync_fixture.h"

namespace testing_support {
namespace {

using namespace std::chrono_literals;

// Resident memory of `pid` in KiB (VmRSS), 0 when unreadable.
int64_t ResidentKiB(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string field;
  while (status >> field) {
    if (field == "VmRSS:") {
      int64_t kib = 0;
      status >> kib;
      return kib;
    }
  }
  return 0;
}

class MassDeleteMemoryTest : public EtcdSyncTest {};

TEST_F(MassDeleteMemoryTest, MemoryOfARevisionOfManyDeletesIsReturnedOnceWritten) {
  constexpr int64_t kKeys = 60000;
  Load(kKeys);
  auto sync = StartSync();
  const auto diff = WaitEqual(120s);
  ASSERT_TRUE(diff.equal()) << diff.Summary();
  // The copy's own memory settles first: the baseline is what stays after it.
  int64_t baseline = ResidentKiB(sync->pid());
  WaitUntil(
      [&] {
        baseline = std::min(baseline, ResidentKiB(sync->pid()));
        return false;
      },
      7s);
  ASSERT_GT(baseline, 0);

  etcd::pb::DeleteRangeRequest all;
  all.set_key("/registry/");
  all.set_range_end(etcd::PrefixRangeEnd("/registry/"));
  auto deleted = primary_->client().DeleteRange(all);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  ASSERT_EQ(deleted->deleted(), kKeys);
  ASSERT_TRUE(WaitUntil([&] { return Count(standby_->client(), "/registry/") == 0; }, 60s));

  // Held for good before (60k deletes: +25-30 MiB, about 450 B per deleted key); now back
  // within a few MiB of the baseline once the freed pages are returned.
  constexpr int64_t kSlackKiB = 8 * 1024;
  int64_t after = 0;
  const bool returned = WaitUntil(
      [&] {
        after = ResidentKiB(sync->pid());
        return after <= baseline + kSlackKiB;
      },
      15s);
  EXPECT_TRUE(returned) << "etcd-sync's RSS stayed at " << after / 1024 << " MiB after " << kKeys
                        << " deletes in one revision (baseline " << baseline / 1024 << " MiB)";
}

}  // namespace
}  // namespace testing_support
