// The consistency check at small scale on two real etcds, with chunks, discovery pages and
// pages a few keys long so every path of the 1M-key scan runs: chunks read ahead in
// parallel, differences on chunk and page boundaries, a destination holding more keys in one
// chunk than one page, keys outside the scope, and writes after the pinned revision.
#include "sync/consistency_check.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "etcd/key_range.h"
#include "etcd/range_chunks.h"
#include "etcd_sync_fixture.h"
#include "support/monitor_scrape.h"
#include "sync/checkpoint.h"
#include "sync/full_sync.h"
#include "sync/key_filter.h"
#include "sync/reconciler.h"
#include "workload/kube_keys.h"

namespace testing_support {
namespace {

class ListSink : public etcdsync::CheckSink {
 public:
  void Missed(const std::string& key) override { missed.push_back(key); }
  void Surplus(const std::string& key) override { surplus.push_back(key); }
  void Stale(const std::string& key) override { stale.push_back(key); }
  void Reset() override { missed.clear(), surplus.clear(), stale.clear(); }
  std::vector<std::string> missed, surplus, stale;
};

std::string Key(const std::string& resource, int i) {
  char name[16];
  std::snprintf(name, sizeof name, "%04d", i);
  return "/registry/" + resource + "/ns/" + name;
}

class ConsistencyCheckTest : public EtcdSyncTest {
 protected:
  int64_t SourceRangeCalls() { return EtcdRangeCalls(primary_->url()); }
  // Marks the destination as live at the source's current revision.
  void MarkLive() {
    etcdsync::Checkpoint live;
    live.phase = etcdsync::Checkpoint::Phase::kLive;
    live.revision = Revision(primary_->client());
    Put(standby_->client(), config_.CheckpointKey(), etcdsync::EncodeCheckpoint(live));
  }
  absl::StatusOr<etcdsync::CheckReport> Check(ListSink& sink, const etcdsync::CheckScan& scan) {
    return etcdsync::RunConsistencyCheck(primary_->client(), standby_->client(), config_, filter_,
                                         sink, scan);
  }
  etcdsync::SyncConfig config_;
  etcdsync::PrefixFilter filter_{"/registry/", {}};
};

TEST_F(ConsistencyCheckTest, ChunksTileTheRangeAcrossDiscoveryPages) {
  for (int i = 0; i < 53; ++i) Put(primary_->client(), Key("a", i), "v");
  Put(primary_->client(), "/other/x", "outside");
  for (const auto& [chunk_keys, discovery_keys] :
       std::vector<std::pair<int, int>>{{7, 20}, {5, 20}, {10, 10}, {100, 1000}, {1, 3}}) {
    etcd::ChunkPlanner planner(primary_->client(), "/registry/", etcd::PrefixRangeEnd("/registry/"),
                               0, etcd::ChunkPlan{chunk_keys, discovery_keys});
    std::string expected_begin = "/registry/";
    int64_t total = 0;
    int chunks = 0;
    while (true) {
      auto chunk = planner.Next();
      ASSERT_TRUE(chunk.ok()) << chunk.status();
      if (!chunk->has_value()) break;
      const etcd::KeyChunk& c = **chunk;
      EXPECT_EQ(c.begin, expected_begin) << chunk_keys << "/" << discovery_keys;
      EXPECT_LE(c.keys, chunk_keys);
      // The chunk holds exactly the keys it says.
      etcd::pb::RangeRequest count;
      count.set_key(c.begin);
      count.set_range_end(c.end);
      count.set_count_only(true);
      count.set_revision(planner.revision());
      auto counted = primary_->client().Range(count);
      ASSERT_TRUE(counted.ok());
      EXPECT_EQ(counted->count(), c.keys);
      total += c.keys;
      expected_begin = c.end;
      ++chunks;
    }
    EXPECT_EQ(expected_begin, etcd::PrefixRangeEnd("/registry/"));
    EXPECT_EQ(total, 53);
    EXPECT_EQ(chunks, (53 + chunk_keys - 1) / chunk_keys);
  }
}

TEST_F(ConsistencyCheckTest, ExactResultsWithSmallChunksAndPages) {
  // Source: three resources, one larger than a chunk and a discovery page.
  std::vector<std::string> source;
  for (int i = 0; i < 40; ++i) source.push_back(Key("apps", i));
  for (int i = 0; i < 3; ++i) source.push_back(Key("b", i));
  for (int i = 0; i < 25; ++i) source.push_back(Key("configmaps", i));
  for (const auto& key : source) Put(primary_->client(), key, "value of " + key);
  for (const auto& key : source) Put(standby_->client(), key, "value of " + key);
  // Outside the scope on both sides, differing: never reported.
  Put(primary_->client(), "/other/x", "1");
  Put(standby_->client(), "/other/y", "2");
  Put(standby_->client(), "/registry", "no slash");
  // Differences: the first and last source keys, keys on chunk boundaries (chunks of 7).
  Delete(standby_->client(), Key("apps", 0));
  Delete(standby_->client(), Key("apps", 7));
  Delete(standby_->client(), Key("configmaps", 24));
  Put(standby_->client(), Key("apps", 14), "changed");
  Put(standby_->client(), Key("b", 1), "changed");
  // Surplus: before the first source key, after the last, and 12 in one chunk (pages of 5).
  Put(standby_->client(), "/registry/0", "s");
  Put(standby_->client(), "/registry/zzz", "s");
  std::vector<std::string> surplus = {"/registry/0", "/registry/zzz"};
  for (int i = 0; i < 12; ++i) {
    surplus.push_back(Key("apps", 20) + "-extra-" + std::to_string(10 + i));
    Put(standby_->client(), surplus.back(), "s");
  }
  MarkLive();
  // After the pinned revision: not a difference.
  Put(primary_->client(), Key("configmaps", 99), "later");
  Put(primary_->client(), Key("apps", 3), "later");

  std::sort(surplus.begin(), surplus.end());
  const std::vector<std::string> missed = {Key("apps", 0), Key("apps", 7), Key("configmaps", 24)};
  const std::vector<std::string> stale = {Key("apps", 14), Key("b", 1)};
  // Paced: pages of one key (1 byte), of about three keys (200 bytes: keys and values here are
  // about 60 bytes), and the periodic check's default.
  for (const etcdsync::CheckScan& scan :
       {etcdsync::CheckScan{7, 20, 5, 3, {}}, etcdsync::CheckScan{1, 1, 1, 1, {}},
        etcdsync::CheckScan{3, 10, 2, 8, {}}, etcdsync::CheckScan{},
        etcdsync::CheckScan{7, 20, 5, 3, {}, 1}, etcdsync::CheckScan{7, 20, 5, 3, {}, 200},
        etcdsync::PacedCheckScan(256 * 1024)}) {
    SCOPED_TRACE(testing::Message()
                 << "chunk " << scan.chunk_keys << " discovery " << scan.discovery_keys << " page "
                 << scan.page_keys << " window " << scan.window << " paced to "
                 << scan.source_page_bytes << " bytes");
    ListSink sink;
    auto report = Check(sink, scan);
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(sink.missed, missed);
    EXPECT_EQ(sink.surplus, surplus);  // in key order
    EXPECT_EQ(sink.stale, stale);
    EXPECT_EQ(report->source_keys, static_cast<int64_t>(source.size()));
    EXPECT_EQ(report->destination_keys, static_cast<int64_t>(source.size() - 3 + surplus.size()));
    EXPECT_EQ(report->missed, 3);
    EXPECT_EQ(report->surplus, static_cast<int64_t>(surplus.size()));
    EXPECT_EQ(report->stale, 2);
  }
}

TEST_F(ConsistencyCheckTest, EmptyScopeOnTheSourceListsEveryDestinationKey) {
  for (int i = 0; i < 9; ++i) Put(standby_->client(), Key("x", i), "s");
  MarkLive();
  ListSink sink;
  auto report = Check(sink, etcdsync::CheckScan{2, 4, 2, 2, {}});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(sink.surplus.size(), 9u);
  EXPECT_TRUE(sink.missed.empty());
}

// A pass leaves its chunk boundaries (every 7th source key) for the next, which then plans
// with no discovery call; after the keys changed a lot (two chunks emptied, 30 keys added
// inside one chunk, surplus past the last boundary) the results stay exact, and the
// boundaries follow the new keys.
TEST_F(ConsistencyCheckTest, RemembersBoundariesAndStaysExactWhenTheKeysChange) {
  std::vector<std::string> source;
  for (int i = 0; i < 40; ++i) source.push_back(Key("apps", i));
  for (const auto& key : source) Put(primary_->client(), key, "v");
  for (const auto& key : source) Put(standby_->client(), key, "v");
  MarkLive();
  etcdsync::CheckScan scan{7, 20, 5, 3, std::make_shared<etcd::ChunkBoundaries>()};
  const std::string end = etcd::PrefixRangeEnd("/registry/");
  auto every_seventh = [](const std::vector<std::string>& keys) {
    std::vector<std::string> out;
    for (size_t i = 7; i < keys.size(); i += 7) out.push_back(keys[i]);
    return out;
  };
  {
    ListSink sink;
    auto report = Check(sink, scan);
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(report->missed + report->surplus + report->stale, 0);
    EXPECT_EQ(scan.boundaries->Get("/registry/", end, 7), every_seventh(source));
    EXPECT_TRUE(scan.boundaries->Get("/registry/", end, 5).empty());  // another plan
  }
  for (int i = 0; i < 14; ++i) {
    Delete(primary_->client(), Key("apps", i));
    Delete(standby_->client(), Key("apps", i));
  }
  std::vector<std::string> added;
  for (int i = 0; i < 30; ++i) {
    added.push_back(Key("apps", 20) + "-new-" + std::to_string(10 + i));
    Put(primary_->client(), added.back(), "v");
  }
  Put(standby_->client(), Key("apps", 30), "changed");
  Put(standby_->client(), "/registry/zzz", "s");
  MarkLive();
  std::vector<std::string> now(source.begin() + 14, source.end());
  now.insert(now.end(), added.begin(), added.end());
  std::sort(now.begin(), now.end());
  // Paced to one key a page from the same stale boundaries: the chunk that grew to 37 keys is
  // read in bounded splits of 7; the same results. Then the default scan, which also leaves
  // the new boundaries.
  etcdsync::CheckScan paced = scan;
  paced.boundaries = std::make_shared<etcd::ChunkBoundaries>();
  paced.boundaries->Set("/registry/", end, 7, scan.boundaries->Get("/registry/", end, 7));
  paced.source_page_bytes = 1;
  for (const etcdsync::CheckScan* each : {&paced, &scan}) {
    SCOPED_TRACE(each == &paced ? "paced" : "default");
    ListSink sink;
    auto report = Check(sink, *each);
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(sink.missed, added);
    EXPECT_EQ(sink.surplus, std::vector<std::string>{"/registry/zzz"});
    EXPECT_EQ(sink.stale, std::vector<std::string>{Key("apps", 30)});
    EXPECT_EQ(report->source_keys, static_cast<int64_t>(now.size()));
  }
  EXPECT_EQ(scan.boundaries->Get("/registry/", end, 7), every_seventh(now));
  // Boundaries that do not tile the range are not used: the pass discovers instead.
  scan.boundaries->Set("/registry/", end, 7, {Key("b", 1), Key("a", 1)});
  ListSink sink;
  auto report = Check(sink, scan);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(sink.missed, added);
  EXPECT_EQ(scan.boundaries->Get("/registry/", end, 7), every_seventh(now));
}

TEST_F(ConsistencyCheckTest, PlannerTakesOnlyBoundariesInsideTheRangeInOrder) {
  const std::string end = etcd::PrefixRangeEnd("/registry/");
  auto plan = [&](std::vector<std::string> boundaries) {
    etcd::ChunkPlanner planner(primary_->client(), "/registry/", end, 0);
    return planner.UseBoundaries(std::move(boundaries));
  };
  EXPECT_FALSE(plan({}));
  EXPECT_FALSE(plan({"/registry/b", "/registry/a"}));
  EXPECT_FALSE(plan({"/registry/a", "/registry/a"}));
  EXPECT_FALSE(plan({"/registry/"}));        // not after the range's begin
  EXPECT_FALSE(plan({"/registry/a", end}));  // not before its end
  EXPECT_FALSE(plan({"/other"}));
  etcd::ChunkPlanner planner(primary_->client(), "/registry/", end, 0);
  ASSERT_TRUE(planner.UseBoundaries({"/registry/a", "/registry/b"}));
  std::vector<std::pair<std::string, std::string>> chunks;
  while (true) {
    auto chunk = planner.Next();
    ASSERT_TRUE(chunk.ok());
    if (!chunk->has_value()) break;
    chunks.emplace_back((*chunk)->begin, (*chunk)->end);
  }
  EXPECT_EQ(
      chunks,
      (std::vector<std::pair<std::string, std::string>>{
          {"/registry/", "/registry/a"}, {"/registry/a", "/registry/b"}, {"/registry/b", end}}));
}

// The initial copy reads its pages inside chunks too (--copy-page-size is the chunk size):
// 300 keys in chunks of 7 over several discovery calls, into a destination that already
// holds a stale value and a surplus key.
TEST_F(ConsistencyCheckTest, CopyReadsInChunksSmallerThanTheData) {
  Load(300);
  const std::string surplus = "/registry/configmaps/dr-test/standby-only";
  Put(standby_->client(), surplus, "s");
  Put(standby_->client(), workload::MakeSampleObject("/registry/", 150, 512).key, "stale");
  auto sync = StartSync({"--copy-page-size", "7"});
  ASSERT_TRUE(sync->WaitForLog("Start Sync update", std::chrono::seconds(60))) << sync->Log();
  const workload::KeyspaceDiff diff = WaitEqual();
  EXPECT_TRUE(diff.equal()) << sync->Log();
  EXPECT_FALSE(Get(standby_->client(), surplus).has_value());
}

// Pages are read ahead, several chunks at once: a chunk that needs a second page (the first
// page is 500 keys, the chunks 700) has it read and written before the chunks read ahead of
// it, so nothing is skipped or written twice; a stale value and a surplus key in a later chunk
// are made right.
TEST_F(ConsistencyCheckTest, CopyReadsChunksAheadAndFinishesEachChunkInOrder) {
  Load(3000);
  const std::string surplus = "/registry/configmaps/dr-test/standby-only";
  Put(standby_->client(), surplus, "s");
  Put(standby_->client(), workload::MakeSampleObject("/registry/", 2500, 512).key, "stale");
  auto sync = StartSync({"--copy-page-size", "700"});
  ASSERT_TRUE(sync->WaitForLog("Start Sync update", std::chrono::seconds(60))) << sync->Log();
  const workload::KeyspaceDiff diff = WaitEqual();
  EXPECT_TRUE(diff.equal()) << sync->Log();
  EXPECT_FALSE(Get(standby_->client(), surplus).has_value());
}

// A paced scan reads the source in pages of about its byte target, one chunk at a time; when
// `full_speed` turns true mid-scan (a GET /check joined the periodic check) the chunks after
// that are read as the default scan reads them: one page each. Counted on the source etcd.
TEST_F(ConsistencyCheckTest, APacedScanReadsSmallPagesUntilFullSpeedIsAsked) {
  std::vector<std::string> keys;
  for (int i = 0; i < 240; ++i) keys.push_back(Key("configmaps", i));
  const std::string value(200, 'v');  // about 225 bytes a key with its key
  for (const auto& key : keys) Put(primary_->client(), key, value);
  for (const auto& key : keys) Put(standby_->client(), key, value);
  Delete(standby_->client(), keys[3]);    // in the first chunk
  Delete(standby_->client(), keys[200]);  // in a later one
  MarkLive();

  // Chunks of 40 keys found by one discovery call; 2 pages of the source a chunk unpaced.
  auto scan_with = [&](int64_t page_bytes, const std::atomic<bool>* full_speed) {
    etcdsync::CheckScan scan{40, 1000, 40, 4, std::make_shared<etcd::ChunkBoundaries>()};
    scan.source_page_bytes = page_bytes;
    scan.full_speed = full_speed;
    return scan;
  };
  struct Case {
    const char* name;
    int64_t page_bytes;
    bool full_speed_at_first_difference;
    int64_t least_calls;
    int64_t most_calls;
  };
  // Unpaced: 1 discovery + 6 chunks x 2 (the page and the empty end, or more() false)...
  // bounded loosely; paced to 700 bytes: 3 keys a page after the first 16: about 80 calls;
  // paced, then full speed after chunk 1: chunk 1 paced (about 9 calls), the 5 after unpaced.
  const std::vector<Case> cases = {
      {"unpaced", 0, false, 7, 14},
      {"paced to 700 bytes", 700, false, 70, 100},
      {"paced, then full speed", 700, true, 8, 30},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::atomic<bool> full_speed{false};
    struct FlipSink : ListSink {
      std::atomic<bool>* flip = nullptr;
      void Missed(const std::string& key) override {
        ListSink::Missed(key);
        if (flip != nullptr) *flip = true;
      }
    } sink;
    if (c.full_speed_at_first_difference) sink.flip = &full_speed;
    const int64_t before = SourceRangeCalls();
    auto report = Check(sink, scan_with(c.page_bytes, &full_speed));
    const int64_t calls = SourceRangeCalls() - before;
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(sink.missed, (std::vector<std::string>{keys[3], keys[200]}));
    EXPECT_TRUE(sink.surplus.empty());
    EXPECT_TRUE(sink.stale.empty());
    EXPECT_EQ(report->source_keys, 240);
    EXPECT_GE(calls, c.least_calls);
    EXPECT_LE(calls, c.most_calls);
  }
}

// The reconciler paces only the periodic check: GET /check (kReportOnly) and the pass on
// becoming leader read at full speed, and so does a periodic check a GET /check joined.
TEST_F(ConsistencyCheckTest, OnlyThePeriodicCheckIsPaced) {
  const std::string value(200, 'v');
  for (int i = 0; i < 240; ++i) Put(primary_->client(), Key("configmaps", i), value);
  for (int i = 0; i < 240; ++i) Put(standby_->client(), Key("configmaps", i), value);
  MarkLive();
  etcdsync::SyncStats stats;
  etcdsync::Reconciler reconciler(config_, primary_->client(), standby_->client(), filter_, stats,
                                  3, /*periodic_page_bytes=*/700);
  std::atomic<bool> full_speed{true};
  auto calls = [&](etcdsync::Reconciler::Trigger trigger, const std::atomic<bool>* hurry) {
    const int64_t before = SourceRangeCalls();
    ListSink sink;
    auto report = reconciler.Run(trigger, &sink, {}, hurry);
    EXPECT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(report.ok() ? report->source_keys : 0, 240);
    return SourceRangeCalls() - before;
  };
  // One chunk (default 5,000 keys): a discovery call and one page when not paced; paced to
  // 700 bytes (about 3 keys here), 16 keys first and then about 75 pages.
  EXPECT_LE(calls(etcdsync::Reconciler::Trigger::kReportOnly, nullptr), 4);
  EXPECT_GE(calls(etcdsync::Reconciler::Trigger::kPeriodic, nullptr), 70);
  EXPECT_LE(calls(etcdsync::Reconciler::Trigger::kPeriodic, &full_speed), 4);
  EXPECT_LE(calls(etcdsync::Reconciler::Trigger::kLeaderStart, nullptr), 4);
}

// An initial copy leaves the boundaries a check's pass would have: the first check after it
// makes no discovery calls (one Range of the source per chunk), and stays exact.
TEST_F(ConsistencyCheckTest, TheInitialCopyLeavesTheChecksBoundaries) {
  Load(300);
  Put(primary_->client(), "/other/x", "outside");
  etcdsync::SyncStats stats;
  etcdsync::PassThroughPolicy policy;
  etcdsync::FullSync copy(config_, primary_->client(), standby_->client(), filter_, policy, stats,
                          etcdsync::Fence{});
  auto left = std::make_shared<etcd::ChunkBoundaries>();
  copy.LeaveBoundaries(left, 7);
  auto copied = copy.Run(etcdsync::Checkpoint{}, {});
  ASSERT_TRUE(copied.ok()) << copied.status();
  const std::string end = etcd::PrefixRangeEnd("/registry/");
  const std::vector<std::string> from_copy = left->Get("/registry/", end, 7);
  EXPECT_EQ(from_copy.size(), 300u / 7);
  MarkLive();
  // A check that discovers its chunks leaves the same boundaries.
  auto discovered = std::make_shared<etcd::ChunkBoundaries>();
  ListSink sink;
  ASSERT_TRUE(Check(sink, etcdsync::CheckScan{7, 20, 5, 3, discovered}).ok());
  EXPECT_EQ(discovered->Get("/registry/", end, 7), from_copy);
  // Planned from the copy's: one page of the source a chunk (43 chunks, pages of 10).
  const int64_t before = SourceRangeCalls();
  auto report = Check(sink, etcdsync::CheckScan{7, 20, 10, 3, left});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(SourceRangeCalls() - before, 300 / 7 + 1);
  EXPECT_EQ(report->source_keys, 300);
  EXPECT_EQ(report->missed + report->surplus + report->stale, 0);
}

// Small pages over a range far larger than planned are read in bounded splits: one keys-only
// call a `split_keys` keys (etcd 3.4 walks the rest of a page's range on every page), every key
// once and in order, with or without splits.
TEST_F(ConsistencyCheckTest, SmallPagesOverALargeRangeAreReadInBoundedSplits) {
  std::vector<std::string> keys;
  for (int i = 0; i < 120; ++i) keys.push_back(Key("configmaps", i));
  for (const auto& key : keys) Put(primary_->client(), key, std::string(100, 'v'));
  const std::string end = etcd::PrefixRangeEnd("/registry/");
  for (const int split_keys : {0, 20, 7, 1000}) {
    SCOPED_TRACE(split_keys);
    etcd::PageSizer sizer(400, 50, 16);  // about 3 keys a page after the first
    etcd::RangePager pager(primary_->client(), "/registry/", end, 0, 50, &sizer, split_keys);
    std::vector<std::string> read;
    while (!pager.done()) {
      auto page = pager.NextPage();
      ASSERT_TRUE(page.ok()) << page.status();
      for (const auto& kv : page->kvs()) read.push_back(kv.key());
    }
    EXPECT_EQ(read, keys);
    // After the first page (16 keys), 104 keys left: one split a split_keys while more are left.
    const int64_t expected = split_keys == 20 ? 5 : split_keys == 7 ? 14 : 0;
    EXPECT_EQ(pager.splits(), expected);
  }
}

TEST_F(ConsistencyCheckTest, AGrownChunkIsReadOnBothSidesInPiecesCutOnTheDestination) {
  // 120 keys on the source; the destination lacks the last 20 (a gap the check reports).
  std::vector<std::string> keys;
  for (int i = 0; i < 120; ++i) keys.push_back(Key("configmaps", i));
  for (int i = 0; i < 120; ++i) {
    Put(primary_->client(), keys[i], "v");
    if (i < 100) Put(standby_->client(), keys[i], "v");
  }
  const std::string end = etcd::PrefixRangeEnd("/registry/");
  // Cuts every 10 destination keys, found 35 keys a call; both pagers read 50 keys a page.
  etcd::ChunkSplits cuts(standby_->client(), "/registry/", end, 0, 10, 35);
  etcd::RangePager source(primary_->client(), "/registry/", end, 0, 50, nullptr, 10, &cuts);
  etcd::RangePager destination(standby_->client(), "/registry/", end, 0, 50, nullptr, 0, &cuts);
  std::vector<std::string> read_source;
  std::vector<std::string> read_destination;
  // count: how many keys the Range's range held, which etcd 3.4 walks whatever the limit.
  int64_t widest_source = 0;
  int64_t widest_destination = 0;
  bool first = true;
  while (!source.done() || !destination.done()) {
    for (auto* pager : {&destination, &source}) {
      if (pager->done()) continue;
      auto page = pager->NextPage();
      ASSERT_TRUE(page.ok()) << page.status();
      auto& read = pager == &source ? read_source : read_destination;
      for (const auto& kv : page->kvs()) read.push_back(kv.key());
      if (!first) {
        auto& widest = pager == &source ? widest_source : widest_destination;
        widest = std::max(widest, page->count());
      }
    }
    first = false;
  }
  EXPECT_EQ(read_source, keys);
  EXPECT_EQ(read_destination, std::vector<std::string>(keys.begin(), keys.begin() + 100));
  // After the first pages (count 100 and 120: more than twice 10 left), every Range of either
  // side held at most 10 keys: the destination's cuts, and past its last cut, where it lacks
  // keys, the source's own bounds (two keys-only calls, 30 keys left).
  EXPECT_EQ(widest_destination, 10);
  EXPECT_EQ(widest_source, 10);
  EXPECT_EQ(cuts.discoveries(), 3);  // 35 + 35 + the last 30 of the destination's 100
  EXPECT_EQ(source.splits(), 2);
  EXPECT_EQ(destination.splits(), 0);
}

}  // namespace
}  // namespace testing_support
