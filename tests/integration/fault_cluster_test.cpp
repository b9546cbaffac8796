// The fault suite (issue 17), short form: three-member source and destination etcds, the
// fault proxy between etcd-sync and each side, the churn writer on the source; each fault
// under churn, then a quiet period, then the verdict (support/fault_stage.h). The long form
// is bench/fault_suite.sh: the same tests with FAULT_SUITE_RUNS, longer partitions and a
// table of results (FAULT_SUITE_TABLE).
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "etcd/key_range.h"
#include "etcd/watch_stream.h"
#include "support/child_process.h"
#include "support/etcd_member.h"
#include "support/fault_stage.h"
#include "support/monitor_scrape.h"
#include "support/temp_dir.h"
#include "sync/checkpoint.h"
#include "workload/churn.h"
#include "workload/loader.h"

namespace testing_support {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

int EnvInt(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::atoi(value) : fallback;
}

// How many times each fault runs (bench: more) and how long a partition or quorum loss lasts.
int Runs() { return EnvInt("FAULT_SUITE_RUNS", 1); }
std::chrono::seconds Outage(int short_form) {
  return std::chrono::seconds(EnvInt("FAULT_SUITE_OUTAGE_SECONDS", short_form));
}

bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!condition()) {
    if (Clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

class FaultSuiteTest : public ::testing::Test {
 protected:
  explicit FaultSuiteTest(ClusterOptions dest_options = {})
      : source_(dir_.path(), "source"),
        dest_(dir_.path(), "dest", dest_options),
        source_proxy_(dir_.path(), "source-proxy", source_.client_ports()),
        dest_proxy_(dir_.path(), "dest-proxy", dest_.client_ports()) {
    // Keys outside the prefix: the source's must never reach the destination, the
    // destination's must never be touched.
    Put(source_.client(), "/outside/source-only", "not replicated");
    untouched_.push_back(
        {"/outside/standby-own", Put(dest_.client(), "/outside/standby-own", "mine")});
  }

  static int64_t Revision(etcd::Client& client) {
    etcd::pb::RangeRequest get;
    get.set_key("/");
    get.set_count_only(true);
    return client.Range(get).value().header().revision();
  }

  static int64_t Put(etcd::Client& client, const std::string& key, const std::string& value) {
    etcd::pb::PutRequest put;
    put.set_key(key);
    put.set_value(value);
    return client.Put(put).value().header().revision();
  }

  std::unique_ptr<ChildProcess> StartSync(const std::string& identity) {
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{ETCD_SYNC_BINARY, "--source-endpoints", source_proxy_.endpoints(),
                                 "--dest-endpoints", dest_proxy_.endpoints(), "--identity",
                                 identity, "--leader-lease-ttl", "3", "--request-timeout-ms",
                                 "5000", "--monitor-listen", "127.0.0.1:0"},
        dir_.File(identity + ".log"));
  }

  void StartChurn(uint64_t seed) {
    workload::ChurnOptions options;
    options.writes_per_second = EnvInt("FAULT_SUITE_WRITES_PER_SECOND", 100);
    options.seed = seed;
    options.name = std::to_string(seed);
    churn_ = std::make_unique<workload::ChurnWriter>(source_.client(), options);
    churn_->Start();
  }

  // Waits until the writer acknowledged `writes` more key writes (the cluster takes them).
  void ChurnFor(int64_t writes) {
    const int64_t from = churn_->record().writes;
    ASSERT_TRUE(WaitUntil([&] { return churn_->record().writes >= from + writes; }, 120s))
        << "the writer is stuck at " << churn_->record().writes;
  }

  // Stops the writer (the quiet period) and judges, timing from `healed`.
  Verdict Judge(const std::string& fault, ChildProcess& sync, Clock::time_point healed,
                bool check_versions = true) {
    if (churn_) churn_->Stop();
    VerdictOptions options;
    options.untouched = untouched_;
    options.monitor_base = MonitorBase(sync);
    options.check_versions = check_versions;
    Verdict verdict =
        JudgeAfterFault(source_.client(), dest_.client(), churn_.get(), options, healed);
    RecordFaultRun(fault, verdict);
    return verdict;
  }

  // Fault 2's last case: the destination's leader moves again and again while large Txns
  // (each about 1.2 MB) are in flight. A Txn the client re-sends after the move is applied
  // once: every key written once on the source has version 1 on the standby.
  void MoveTheDestinationLeaderDuringLargeTxns(ChildProcess& sync) {
    std::atomic<bool> done{false};
    std::atomic<int> moves{0};
    std::jthread mover([&] {
      while (!done) {
        if (dest_.MoveLeader()) ++moves;
        std::this_thread::sleep_for(200ms);
      }
    });
    const std::string value(20 * 1024, 'x');
    for (int round = 0; round < 4 * Runs() + 8 && (round < 8 || moves < 3); ++round) {
      etcd::pb::TxnRequest txn;
      for (int k = 0; k < 60; ++k) {
        auto* put = txn.add_success()->mutable_request_put();
        put->set_key("/registry/configmaps/large/cm-" + std::to_string(round) + "-" +
                     std::to_string(k));
        put->set_value(value);
      }
      ASSERT_TRUE(source_.client().Txn(txn).ok());
      std::this_thread::sleep_for(100ms);
    }
    done = true;
    mover.join();
    const auto healed = Clock::now();
    EXPECT_GE(moves, 1) << "the destination's leader never moved";
    const Verdict verdict = Judge("destination leader moved during large Txns", sync, healed);
    EXPECT_TRUE(verdict.ok()) << verdict.Summary() << "\n" << sync.Log();
    etcd::pb::RangeRequest large;
    large.set_key("/registry/configmaps/large/");
    large.set_range_end(etcd::PrefixRangeEnd("/registry/configmaps/large/"));
    large.set_keys_only(true);
    auto copied = dest_.client().Range(large);
    ASSERT_TRUE(copied.ok()) << copied.status();
    EXPECT_GT(copied->kvs_size(), 0);
    for (const auto& kv : copied->kvs()) {
      EXPECT_EQ(kv.version(), 1) << kv.key() << " was applied more than once";
    }
  }

  TempDir dir_;
  EtcdCluster source_, dest_;
  FaultProxy source_proxy_, dest_proxy_;
  std::vector<std::pair<std::string, int64_t>> untouched_;
  std::unique_ptr<workload::ChurnWriter> churn_;
};

// Fault 4: two replicas; the leader is SIGSTOPped past its lease, the other takes over, the
// old one is continued. Every live Txn also stores the checkpoint, so a write from the
// paused process would carry a checkpoint behind the new leader's: the destination watch on
// the checkpoint key must see it only move forward.
TEST_F(FaultSuiteTest, APausedLeaderWritesNothingAfterItsLeaseExpired) {
  for (int run = 0; run < Runs(); ++run) {
    auto a = StartSync("replica-a-" + std::to_string(run));
    ASSERT_TRUE(a->WaitForLog("Start Sync update", 60s)) << a->Log();
    auto b = StartSync("replica-b-" + std::to_string(run));
    ASSERT_TRUE(b->WaitForLog("campaigning for leadership", 60s)) << b->Log();
    StartChurn(100 + run);
    ChurnFor(100);

    etcd::pb::WatchCreateRequest create;
    create.set_key("/etcd-sync/checkpoint");
    auto watch = etcd::WatchStream::Open(dest_.client(), create);
    ASSERT_TRUE(watch.ok()) << watch.status();
    std::mutex mutex;
    std::vector<int64_t> checkpoints;  // in destination revision order
    std::jthread watcher([&] {
      while (true) {
        auto response = (*watch)->Next();
        if (!response.ok()) return;
        for (const auto& event : response->events()) {
          auto checkpoint = etcdsync::DecodeCheckpoint(event.kv().value());
          std::lock_guard lock(mutex);
          checkpoints.push_back(checkpoint.ok() ? checkpoint->revision : -1);
        }
      }
    });
    auto seen = [&] {
      std::lock_guard lock(mutex);
      return checkpoints.size();
    };

    ASSERT_EQ(kill(a->pid(), SIGSTOP), 0);
    ASSERT_TRUE(b->WaitForLog("Acquired leader lease", 60s)) << b->Log();
    const size_t at_takeover = seen();
    ASSERT_TRUE(WaitUntil([&] { return seen() >= at_takeover + 5; }, 60s));  // b replicates
    ASSERT_EQ(kill(a->pid(), SIGCONT), 0);
    const auto healed = Clock::now();
    ASSERT_TRUE(a->WaitForLog("lost leadership", 60s)) << a->Log();
    ChurnFor(100);  // a is running again while b replicates
    const Verdict verdict = Judge("paused leader (SIGSTOP past its lease)", *b, healed);
    EXPECT_TRUE(verdict.ok()) << verdict.Summary();
    (*watch)->Cancel();
    watcher.join();
    std::lock_guard lock(mutex);
    for (size_t i = 1; i < checkpoints.size(); ++i) {
      ASSERT_GE(checkpoints[i], checkpoints[i - 1])
          << "a write behind the leader's checkpoint at event " << i << " (of "
          << checkpoints.size() << "): the paused replica wrote\n"
          << a->Log();
    }
    EXPECT_EQ(a->CountInLog("Acquired leader lease"), 1) << a->Log();
  }
}

// Fault 3: etcd-sync black-holed from the source, then from the destination (accepted, never
// answered: no reset, no refusal).
TEST_F(FaultSuiteTest, APartitionFromEitherSideHealsWithNothingLost) {
  auto sync = StartSync("replica");
  ASSERT_TRUE(sync->WaitForLog("Start Sync update", 60s)) << sync->Log();
  for (int run = 0; run < Runs(); ++run) {
    for (FaultProxy* side : {&source_proxy_, &dest_proxy_}) {
      const bool source = side == &source_proxy_;
      StartChurn(200 + 2 * run + (source ? 0 : 1));
      ChurnFor(50);
      side->Command("blackhole");
      std::this_thread::sleep_for(Outage(3));  // the fault's length, not an assertion
      side->Command("heal");
      const auto healed = Clock::now();
      ChurnFor(50);
      const Verdict verdict =
          Judge(source ? "black-hole source" : "black-hole destination", *sync, healed);
      EXPECT_TRUE(verdict.ok()) << (source ? "source: " : "destination: ") << verdict.Summary()
                                << "\n"
                                << sync->Log();
    }
  }
}

// Faults 1 and 2: kill -9 and restart of the leader member, then of a follower, on the
// source and on the destination; then two members at once (quorum lost); then the
// destination's leader moved during large Txns.
TEST_F(FaultSuiteTest, KilledMembersOnEitherSideLoseNothing) {
  auto sync = StartSync("replica");
  ASSERT_TRUE(sync->WaitForLog("Start Sync update", 60s)) << sync->Log();
  for (int run = 0; run < Runs(); ++run) {
    for (EtcdCluster* cluster : {&source_, &dest_}) {
      const std::string side = cluster == &source_ ? "source" : "destination";
      StartChurn(300 + 2 * run + (cluster == &source_ ? 0 : 1));
      ChurnFor(50);
      const int leader = cluster->Leader();
      ASSERT_GE(leader, 0);
      cluster->Kill(leader);
      ChurnFor(30);  // a new leader takes writes
      cluster->Restart(leader);
      ASSERT_TRUE(cluster->WaitHealthy());
      const int follower = (cluster->Leader() + 1) % cluster->members();
      cluster->Kill(follower);
      ChurnFor(30);
      cluster->Restart(follower);
      ASSERT_TRUE(cluster->WaitHealthy());
      const int first = (cluster->Leader() + 1) % cluster->members();
      const int second = (first + 1) % cluster->members();
      cluster->Kill(first);
      cluster->Kill(second);  // quorum lost
      std::this_thread::sleep_for(Outage(2));
      cluster->Restart(first);
      cluster->Restart(second);
      ASSERT_TRUE(cluster->WaitHealthy());
      const auto healed = Clock::now();
      ChurnFor(30);
      const Verdict verdict = Judge("kill -9 " + side + " members", *sync, healed);
      EXPECT_TRUE(verdict.ok()) << side << ": " << verdict.Summary() << "\n" << sync->Log();
    }
  }
  MoveTheDestinationLeaderDuringLargeTxns(*sync);
}

// Fault 5: kill -9 of etcd-sync at random points (during the copy, the reconcile pass or
// live replication); a new process resumes from the checkpoint.
TEST_F(FaultSuiteTest, EtcdSyncKilledAtRandomPointsResumes) {
  StartChurn(500);
  ChurnFor(150);  // something to copy
  std::mt19937 random(static_cast<unsigned>(EnvInt("FAULT_SUITE_SEED", 5)));
  const int kills = EnvInt("FAULT_SUITE_KILLS", 2);
  std::unique_ptr<ChildProcess> sync;
  for (int kill_number = 0; kill_number < kills; ++kill_number) {
    sync = StartSync("replica-" + std::to_string(kill_number));
    ASSERT_TRUE(sync->WaitForLog("campaigning for leadership", 60s)) << sync->Log();
    std::this_thread::sleep_for(std::chrono::milliseconds(random() % 3000));
    sync->Kill();
  }
  sync = StartSync("replica-last");
  ASSERT_TRUE(sync->WaitForLog("Start Sync update", 60s)) << sync->Log();
  const auto healed = Clock::now();
  ChurnFor(50);
  // A kill between a Txn and its answer re-applies nothing (the checkpoint is in the Txn),
  // but a kill mid-copy restarts the copy: versions are only checked for live replication.
  const Verdict verdict = Judge("kill -9 etcd-sync (random points)", *sync, healed, false);
  EXPECT_TRUE(verdict.ok()) << verdict.Summary() << "\n" << sync->Log();
}

// Fault 6: the source compacted and defragmented while etcd-sync is down (its checkpoint is
// compacted away: a full resync), and while it copies (the copy carries on at the latest
// revision).
TEST_F(FaultSuiteTest, SourceCompactionAndDefragWhileDownAndWhileCopying) {
  workload::LoadOptions load;
  load.count = 1500;
  load.value_size = 1024;
  ASSERT_TRUE(workload::LoadSampleObjects(source_.client(), load).ok());
  auto compact_and_defrag = [&] {
    const int64_t revision = Revision(source_.client());
    ASSERT_TRUE(source_.client().Compact(revision).ok());
    RunScript("ETCDCTL_API=3 etcdctl --endpoints " + source_.endpoints() +
              " --command-timeout=60s defrag");
  };
  // While it copies: compacted as soon as the copy has started.
  auto sync = StartSync("replica");
  ASSERT_TRUE(sync->WaitForLog("initial copy:", 60s)) << sync->Log();
  StartChurn(600);
  ChurnFor(20);
  compact_and_defrag();
  ASSERT_TRUE(sync->WaitForLog("Start Sync update", 120s)) << sync->Log();
  auto healed = Clock::now();
  ChurnFor(50);
  Verdict verdict = Judge("compaction+defrag while copying", *sync, healed, false);
  EXPECT_TRUE(verdict.ok()) << verdict.Summary() << "\n" << sync->Log();

  // While it is down: the checkpoint's revision is compacted away.
  sync->Kill();
  StartChurn(601);
  ChurnFor(100);
  compact_and_defrag();
  sync = StartSync("replica-again");
  healed = Clock::now();
  ASSERT_TRUE(sync->WaitForLog("Start Sync update", 120s)) << sync->Log();
  // The watch from the compacted checkpoint fails after it opened: then a full copy.
  EXPECT_TRUE(WaitUntil([&] { return sync->CountInLog("starting a full copy") == 1; }, 60s))
      << sync->Log();
  ChurnFor(50);
  verdict = Judge("compaction+defrag while down", *sync, healed, false);
  EXPECT_TRUE(verdict.ok()) << verdict.Summary() << "\n" << sync->Log();
}

// Fault 7: the destination out of space (a small --quota-backend-bytes, the NOSPACE alarm):
// a clear error, no checkpoint ahead of the data, and recovery once the operator compacts,
// defragments and disarms.
class NoSpaceTest : public FaultSuiteTest {
 protected:
  NoSpaceTest() : FaultSuiteTest(ClusterOptions{.quota_bytes = 4 * 1024 * 1024}) {}
};

TEST_F(NoSpaceTest, TheDestinationOutOfSpaceRecoversAfterCompactDefragDisarm) {
  auto sync = StartSync("replica");
  ASSERT_TRUE(sync->WaitForLog("Start Sync update", 60s)) << sync->Log();
  // The standby fills with history: big values updated one at a time, each replicated
  // before the next, until the alarm stops the standby taking writes.
  bool alarmed = false;
  for (int update = 0; update < 200 && !alarmed; ++update) {
    const std::string key = "/registry/configmaps/big/cm-" + std::to_string(update % 4);
    const std::string value = std::to_string(update) + std::string(300 * 1024, 'v');
    Put(source_.client(), key, value);
    etcd::pb::RangeRequest get;
    get.set_key(key);
    ASSERT_TRUE(WaitUntil(
        [&] {
          auto got = dest_.client().Range(get);
          alarmed = sync->CountInLog("space exceeded") > 0;
          return alarmed || (got.ok() && got->kvs_size() == 1 && got->kvs(0).value() == value);
        },
        60s))
        << sync->Log();
  }
  ASSERT_TRUE(alarmed) << "the standby never ran out of space";
  // One clear line saying what the operator does.
  EXPECT_TRUE(
      sync->WaitForLog("(NOSPACE alarm): compact it, defragment every member, then "
                       "`etcdctl alarm disarm`",
                       30s))
      << sync->Log();
  // The retry backs off (to 5 s) and says the lasting condition once a minute, with a count
  // (it used to retry and warn every 500 ms).
  std::this_thread::sleep_for(5s);  // the alarm's length, not an assertion on speed
  EXPECT_LE(sync->CountInLog("replication interrupted"), 2) << sync->Log();
  // No checkpoint ahead of the data: the standby holds exactly the source as of its checkpoint.
  etcd::pb::RangeRequest read_checkpoint;
  read_checkpoint.set_key("/etcd-sync/checkpoint");
  auto checkpoint =
      etcdsync::DecodeCheckpoint(dest_.client().Range(read_checkpoint).value().kvs(0).value());
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  auto dump = [](etcd::Client& client, int64_t revision) {
    etcd::pb::RangeRequest all;
    all.set_key("/registry/");
    all.set_range_end(etcd::PrefixRangeEnd("/registry/"));
    all.set_revision(revision);
    std::map<std::string, std::string> kvs;
    auto response = client.Range(all);
    if (!response.ok()) {
      kvs["(unreadable)"] = std::string(response.status().message());
      return kvs;
    }
    for (const auto& kv : response->kvs()) kvs[kv.key()] = kv.value();
    return kvs;
  };
  EXPECT_TRUE(dump(source_.client(), checkpoint->revision) == dump(dest_.client(), 0))
      << "the standby's checkpoint " << checkpoint->revision << " is ahead of its data";

  // The operator's remedy on the standby.
  const int64_t revision = Revision(dest_.client());
  ASSERT_TRUE(dest_.client().Compact(revision).ok());
  const std::string etcdctl =
      "ETCDCTL_API=3 etcdctl --command-timeout=60s --endpoints " + dest_.endpoints();
  RunScript(etcdctl + " defrag");
  RunScript(etcdctl + " alarm disarm");
  const auto healed = Clock::now();
  const Verdict verdict = Judge("destination NOSPACE", *sync, healed);
  EXPECT_TRUE(verdict.ok()) << verdict.Summary() << "\n" << sync->Log();
}

// Fault 8: the source restored from a snapshot keeps its cluster ID (and member IDs) but its
// history goes back. Deterministic: etcd-sync is down through the restore and the restored
// source's revision climbs past the checkpoint's before it starts again, so the revision alone
// cannot tell; the raft log can (its applied index restarts, the revision does not).
TEST_F(FaultSuiteTest, ASourceRestoredFromASnapshotIsCopiedAgain) {
  auto sync = StartSync("replica");
  ASSERT_TRUE(sync->WaitForLog("Start Sync update", 60s)) << sync->Log();
  StartChurn(800);
  ChurnFor(50);
  churn_->Stop();
  // A snapshot some history in (a real one is millions of revisions in): its revision is what
  // the restored raft log falls behind by.
  for (int i = 0; i < 300; ++i) {
    Put(source_.client(), "/registry/configmaps/history/cm-" + std::to_string(i % 20), "v");
  }
  source_.SaveSnapshot(dir_.File("source.snapshot"));
  StartChurn(801);
  ChurnFor(200);  // the standby goes past the snapshot
  churn_->Stop();
  ASSERT_TRUE(
      JudgeAfterFault(source_.client(), dest_.client(), nullptr, {}, Clock::now()).consistent);
  sync->Kill();
  etcd::pb::RangeRequest read_checkpoint;
  read_checkpoint.set_key("/etcd-sync/checkpoint");
  auto checkpoint =
      etcdsync::DecodeCheckpoint(dest_.client().Range(read_checkpoint).value().kvs(0).value());
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  source_.Restore(dir_.File("source.snapshot"));
  ASSERT_TRUE(source_.WaitHealthy());
  // New history on the restored source, past the checkpoint's revision.
  for (int i = 0; Revision(source_.client()) <= checkpoint->revision + 10; ++i) {
    Put(source_.client(), "/registry/configmaps/restored/cm-" + std::to_string(i % 50),
        "after the restore " + std::to_string(i));
  }
  sync = StartSync("replica-after-restore");
  const auto healed = Clock::now();
  ASSERT_TRUE(sync->WaitForLog("starting a full copy", 60s)) << sync->Log();
  EXPECT_TRUE(sync->WaitForLog("the source's raft", 1s)) << sync->Log();
  churn_.reset();
  // The writer's record describes the source before the restore: judge without it.
  VerdictOptions options;
  options.untouched = untouched_;
  options.monitor_base = MonitorBase(*sync);
  options.check_versions = false;
  const Verdict verdict =
      JudgeAfterFault(source_.client(), dest_.client(), nullptr, options, healed);
  RecordFaultRun("source restored from a snapshot", verdict);
  EXPECT_TRUE(verdict.ok()) << verdict.Summary() << "\n" << sync->Log();
}

}  // namespace
}  // namespace testing_support
