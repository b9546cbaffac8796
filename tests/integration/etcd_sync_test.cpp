// etcd-sync end to end on a real etcd pair: initial copy, live changes, crashes mid-copy
// and mid-stream, compaction, two replicas at once, TLS, and operator mistakes.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <thread>

#include "etcd_sync_fixture.h"
#include "workload/kube_keys.h"
#include "workload/loader.h"

namespace testing_support {
namespace {

using namespace std::chrono_literals;

#define EXPECT_CONVERGES()                         \
  do {                                             \
    workload::KeyspaceDiff diff_ = WaitEqual();    \
    EXPECT_TRUE(diff_.equal()) << diff_.Summary(); \
  } while (0)

TEST_F(EtcdSyncTest, InitialCopyThenLiveChanges) {
  Load(20000);
  Put(primary_->client(), "/other/outside-prefix", "not synced");
  Put(standby_->client(), "/standby-only/own-key", "kept");
  auto sync = StartSync();
  ASSERT_TRUE(sync->WaitForLog("Acquired leader lease", 20s)) << sync->Log();
  ASSERT_TRUE(sync->WaitForLog("Start Sync update", 60s)) << sync->Log();
  EXPECT_CONVERGES();
  EXPECT_EQ(Count(standby_->client(), "/registry/"), 20000);

  // Live: new, updated and deleted objects, a multi-key Txn, and one revision of 300
  // deletes, larger than a destination Txn may be.
  Load(500, 100000);
  Load(500, 0, /*generation=*/1);
  for (int i = 600; i < 650; ++i) {
    Delete(primary_->client(), workload::MakeSampleObject("/registry/", i, 0).key);
  }
  etcd::pb::TxnRequest txn;
  for (int i = 0; i < 3; ++i) {
    auto* put = txn.add_success()->mutable_request_put();
    put->set_key("/registry/configmaps/multi/k" + std::to_string(i));
    put->set_value("v" + std::to_string(i));
  }
  ASSERT_TRUE(primary_->client().Txn(txn).ok());
  for (int i = 0; i < 300; ++i)
    Put(primary_->client(), "/registry/bulk/k" + std::to_string(i), "x");
  etcd::pb::DeleteRangeRequest bulk_delete;
  bulk_delete.set_key("/registry/bulk/");
  bulk_delete.set_range_end("/registry/bulk0");
  ASSERT_EQ(primary_->client().DeleteRange(bulk_delete).value().deleted(), 300);
  EXPECT_CONVERGES();
  EXPECT_TRUE(sync->WaitForLog("applied in several Txns", 5s)) << sync->Log();

  EXPECT_FALSE(Get(standby_->client(), "/other/outside-prefix").has_value());
  EXPECT_EQ(Get(standby_->client(), "/standby-only/own-key"), "kept");
  EXPECT_EQ(sync->CountInLog("Start Sync update"), 1);
}

TEST_F(EtcdSyncTest, KillDuringCopyThenResume) {
  Load(40000);
  auto first = StartSync({"--copy-page-size", "200", "--copy-parallelism", "1"});
  WaitUntil([&] { return Count(standby_->client(), "/registry/") >= 5000; }, 60s);
  first->Kill();
  ASSERT_FALSE(first->CountInLog("Start Sync update")) << "copy finished before the kill";
  const int64_t copied = Count(standby_->client(), "/registry/");
  EXPECT_GT(copied, 0);
  EXPECT_LT(copied, 40000);

  // While it is down: new keys, updates, and deletes of keys already copied.
  Load(1000, 50000);
  Load(1000, 0, 1);
  for (int i = 1000; i < 1200; ++i) {
    Delete(primary_->client(), workload::MakeSampleObject("/registry/", i, 0).key);
  }
  auto second = StartSync({}, "sync2.log");
  ASSERT_TRUE(second->WaitForLog("the previous copy did not finish", 30s)) << second->Log();
  ASSERT_TRUE(second->WaitForLog("Start Sync update", 60s)) << second->Log();
  EXPECT_CONVERGES();
}

TEST_F(EtcdSyncTest, KillDuringStreamResumesExactlyOnce) {
  Load(2000);
  auto first = StartSync();
  ASSERT_TRUE(first->WaitForLog("Start Sync update", 60s)) << first->Log();
  EXPECT_CONVERGES();

  // A writer creates each key exactly once and deletes every tenth one it created.
  std::atomic<bool> writing{true};
  std::atomic<int> written{0};
  std::jthread writer([&] {
    for (int i = 0; writing; ++i) {
      Put(primary_->client(), "/registry/stream/k" + std::to_string(i), "v" + std::to_string(i));
      if (i % 10 == 9) Delete(primary_->client(), "/registry/stream/k" + std::to_string(i - 5));
      written = i + 1;
    }
  });
  while (written < 300) std::this_thread::sleep_for(1ms);
  first->Kill();
  const int at_kill = written;
  while (written < at_kill + 300) std::this_thread::sleep_for(1ms);  // writes while down
  auto second = StartSync({}, "sync2.log");
  ASSERT_TRUE(second->WaitForLog("resuming from checkpoint", 30s)) << second->Log();
  while (written < at_kill + 600) std::this_thread::sleep_for(1ms);
  writing = false;
  writer.join();
  EXPECT_CONVERGES();
  EXPECT_EQ(second->CountInLog("starting a full copy"), 0) << second->Log();

  // Exactly once: a key put once on the source was put once on the standby (version 1),
  // so no update was applied twice across the crash.
  etcd::pb::RangeRequest all;
  all.set_key("/registry/stream/");
  all.set_range_end("/registry/stream0");
  auto kvs = standby_->client().Range(all);
  ASSERT_TRUE(kvs.ok());
  ASSERT_GT(kvs->kvs_size(), 500);
  for (const auto& kv : kvs->kvs()) EXPECT_EQ(kv.version(), 1) << kv.key();
}

TEST_F(EtcdSyncTest, CompactionWhileDownForcesResyncThatPrunes) {
  Load(3000);
  auto first = StartSync();
  ASSERT_TRUE(first->WaitForLog("Start Sync update", 60s)) << first->Log();
  EXPECT_CONVERGES();
  first->Terminate();
  ASSERT_EQ(first->WaitExit(10s), 0) << first->Log();

  Put(standby_->client(), "/etcd-sync-outside/marker", "untouched");
  Load(200, 90000);
  Load(300, 0, 1);
  for (int i = 500; i < 800; ++i) {
    Delete(primary_->client(), workload::MakeSampleObject("/registry/", i, 0).key);
  }
  ASSERT_TRUE(primary_->client().Compact(Revision(primary_->client())).ok());

  auto second = StartSync({}, "sync2.log");
  ASSERT_TRUE(second->WaitForLog("running a full resync", 30s)) << second->Log();
  ASSERT_TRUE(second->WaitForLog("Start Sync update", 60s)) << second->Log();
  EXPECT_CONVERGES();
  EXPECT_TRUE(second->WaitForLog("300 deletes", 1s)) << second->Log();
  EXPECT_EQ(Get(standby_->client(), "/etcd-sync-outside/marker"), "untouched");
}

TEST_F(EtcdSyncTest, CompactionDuringCopyDoesNotFail) {
  Load(30000);
  auto sync = StartSync({"--copy-page-size", "100", "--copy-parallelism", "1"});
  WaitUntil([&] { return Count(standby_->client(), "/registry/") >= 2000; }, 60s);
  ASSERT_FALSE(sync->CountInLog("Start Sync update")) << "copy finished too early";
  for (int i = 0; i < 100; ++i)
    Delete(primary_->client(), workload::MakeSampleObject("/registry/", 29000 + i, 0).key);
  Load(100, 70000);
  ASSERT_TRUE(primary_->client().Compact(Revision(primary_->client())).ok());
  ASSERT_TRUE(sync->WaitForLog("Start Sync update", 120s)) << sync->Log();
  EXPECT_CONVERGES();
  EXPECT_TRUE(sync->Running()) << sync->Log();
  EXPECT_TRUE(sync->WaitForLog("during the copy", 1s)) << sync->Log();
}

TEST_F(EtcdSyncTest, TwoInstancesNeverBothLead) {
  Load(1000);
  auto a = StartSync({"--identity", "replica-a"}, "a.log");
  ASSERT_TRUE(a->WaitForLog("Acquired leader lease", 20s)) << a->Log();
  auto b = StartSync({"--identity", "replica-b"}, "b.log");
  ASSERT_TRUE(b->WaitForLog("campaigning", 20s)) << b->Log();
  ASSERT_TRUE(a->WaitForLog("Start Sync update", 60s));
  Load(500, 20000);
  EXPECT_CONVERGES();
  EXPECT_EQ(b->CountInLog("Acquired leader lease"), 0) << b->Log();

  a->Kill();
  ASSERT_TRUE(b->WaitForLog("Acquired leader lease", 20s)) << b->Log();
  ASSERT_TRUE(b->WaitForLog("resuming from checkpoint", 20s)) << b->Log();
  Load(500, 30000);
  EXPECT_CONVERGES();
}

TEST_F(EtcdSyncTest, ExcludedPrefixIsNotCopied) {
  Load(500);
  Put(primary_->client(), "/registry/secrets/team-01/s1", "secret");
  auto sync = StartSync({"--exclude-prefix", "/registry/secrets/"});
  ASSERT_TRUE(sync->WaitForLog("Start Sync update", 60s)) << sync->Log();
  Put(primary_->client(), "/registry/secrets/team-01/s2", "secret");
  Put(primary_->client(), "/registry/pods/team-01/after", "pod");
  WaitUntil([&] { return Get(standby_->client(), "/registry/pods/team-01/after").has_value(); },
            20s);
  EXPECT_TRUE(Get(standby_->client(), "/registry/pods/team-01/after").has_value());
  EXPECT_EQ(Count(standby_->client(), "/registry/secrets/"), 0);
  EXPECT_EQ(
      Count(standby_->client(), "/registry/"),
      Count(primary_->client(), "/registry/") - Count(primary_->client(), "/registry/secrets/"));
}

TEST_F(EtcdSyncTest, OperatorMistakesAreOneClearLine) {
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"--no-such-flag"}, 2, "--no-such-flag"},
      {{"--prefix", "/"}, 2, "choose a --state-prefix"},
      {{"--max-txn-ops", "1"}, 2, "--max-txn-ops"},
      {{"--source-cert", dir_.File("missing.crt"), "--source-key", dir_.File("missing.key")},
       1,
       "--source-endpoints has http://"},
      {{"--config", dir_.File("no-such-config.yaml")}, 2, "no-such-config.yaml"},
  };
  for (const Case& c : cases) {
    auto sync = StartSync(c.args, "mistake.log");
    EXPECT_EQ(sync->WaitExit(20s), c.exit_code) << sync->Log();
    EXPECT_NE(sync->Log().find(c.says), std::string::npos) << sync->Log();
    std::remove(dir_.File("mistake.log").c_str());
  }
  ChildProcess unreachable({ETCD_SYNC_BINARY, "--source-endpoints", "127.0.0.1:1",
                            "--dest-endpoints", standby_->url(), "--monitor-listen", ""},
                           dir_.File("unreachable.log"));
  EXPECT_EQ(unreachable.WaitExit(30s), 1);
  EXPECT_NE(unreachable.Log().find("check --source-endpoints"), std::string::npos)
      << unreachable.Log();
}

TEST_F(EtcdSyncTest, ConfigFileHoldsTheSameSettings) {
  Load(300);
  const std::string config = dir_.File("etcd-sync.yaml");
  {
    std::ofstream out(config);
    out << "source-endpoints: " << primary_->url() << "\n"
        << "dest-endpoints: " << standby_->url() << "\n"
        << "prefix: /registry/\n"
        << "exclude-prefix: [/registry/pods/]\n"
        << "monitor-listen: 127.0.0.1:0\n"
        << "print-detail-logs: true\n";
  }
  ChildProcess sync({ETCD_SYNC_BINARY, "--config", config}, dir_.File("config.log"));
  ASSERT_TRUE(sync.WaitForLog("Start Sync update", 60s)) << sync.Log();
  Put(primary_->client(), "/registry/configmaps/team-01/detail", "x");
  EXPECT_TRUE(sync.WaitForLog("applied put /registry/configmaps/team-01/detail", 20s))
      << sync.Log();
  EXPECT_EQ(Count(standby_->client(), "/registry/pods/"), 0);
}

// Flag and config-file mistakes are refused before any connection: exit 2, one line that
// names the flag.
TEST(EtcdSyncFlagsTest, BadValuesAreOneLineUsageErrors) {
  TempDir dir;
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir.File(name)) << text;
    return dir.File(name);
  };
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"--check-interval", "0"}, "--check-interval: must be a positive whole number, got \"0\""},
      {{"--hold-timeout=-5"}, "--hold-timeout: must be a positive whole number, got \"-5\""},
      {{"--leader-lease-ttl", "0"}, "--leader-lease-ttl: must be a positive"},
      {{"--request-timeout-ms", "0"}, "--request-timeout-ms: must be a positive"},
      {{"--max-txn-ops", "0"}, "--max-txn-ops: must be a positive"},
      {{"--max-request-bytes=-1"}, "--max-request-bytes: must be a positive"},
      {{"--copy-page-size", "0"}, "--copy-page-size: must be a positive"},
      {{"--copy-parallelism", "0"}, "--copy-parallelism: must be a positive"},
      {{"--source-down-grace", "0"}, "--source-down-grace: must be a positive"},
      {{"--monitor-token-file", dir.File("no-such-token")}, "--monitor-token-file"},
      {{"--monitor-token-file", write("blank-token", "  \n")}, "the file is empty"},
      {{"--monitor-token-file", write("long-token", std::string(5000, 'a'))},
       "larger than 4096 bytes"},
      {{"--source-cert", dir.File("client.crt")}, "--source-cert and --source-key must be given"},
      {{"--source-key", dir.File("client.key")}, "--source-cert and --source-key must be given"},
      {{"--dest-cert", dir.File("client.crt")}, "--dest-cert and --dest-key must be given"},
      {{"--config", write("list-of-maps.yaml", "exclude-prefix: [{a: b}]\n")},
       "\"exclude-prefix\" must be a value or a list of values"},
      {{"--config", write("complex-key.yaml", "? [a, b]\n: c\n")}, "every key must be a flag name"},
      {{"--config", write("deep.yaml", "exclude-prefix: " + std::string(5000, '[') + "\n")},
       "nested more than"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {ETCD_SYNC_BINARY,
                                     "--source-endpoints",
                                     "127.0.0.1:1",
                                     "--dest-endpoints",
                                     "127.0.0.1:1",
                                     "--monitor-listen",
                                     ""};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    ChildProcess sync(argv, dir.File("mistake.log"));
    EXPECT_EQ(sync.WaitExit(20s), 2) << c.args.front() << ": " << sync.Log();
    const std::string log = sync.Log();
    EXPECT_NE(log.find(c.says), std::string::npos) << log;
    EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;
    std::remove(dir.File("mistake.log").c_str());
  }
}

class EtcdSyncTlsTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string certs_ = RunScript(std::string(PROJECT_SOURCE_DIR) + "/scripts/gen-test-certs.sh '" +
                                 dir_.File("certs") + "'");
  EtcdMember primary_{dir_.path(), "primary", certs_};
  EtcdMember standby_{dir_.path(), "standby", certs_};

  std::vector<std::string> Args(const std::string& source_ca) {
    return {ETCD_SYNC_BINARY,   "--source-endpoints",   primary_.url(),
            "--dest-endpoints", standby_.url(),         "--source-cacert",
            source_ca,          "--source-cert",        certs_ + "/client.crt",
            "--source-key",     certs_ + "/client.key", "--dest-cacert",
            certs_ + "/ca.crt", "--dest-cert",          certs_ + "/client.crt",
            "--dest-key",       certs_ + "/client.key", "--monitor-listen",
            "127.0.0.1:0"};
  }
};

TEST_F(EtcdSyncTlsTest, ReplicatesOverMutualTls) {
  workload::LoadOptions load;
  load.count = 2000;
  ASSERT_TRUE(workload::LoadSampleObjects(primary_.client(), load).ok());
  ChildProcess sync(Args(certs_ + "/ca.crt"), dir_.File("sync.log"));
  ASSERT_TRUE(sync.WaitForLog("Start Sync update", 60s)) << sync.Log();
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto diff = workload::DiffKeyspaces(primary_.client(), standby_.client(), "/registry/");
    ASSERT_TRUE(diff.ok());
    if (diff->equal()) break;
    std::this_thread::sleep_for(100ms);
  }
  auto diff = workload::DiffKeyspaces(primary_.client(), standby_.client(), "/registry/");
  EXPECT_TRUE(diff->equal()) << diff->Summary();
}

TEST_F(EtcdSyncTlsTest, WrongCaFailsWithOneLine) {
  ChildProcess sync(Args(certs_ + "/other-ca.crt"), dir_.File("sync.log"));
  EXPECT_EQ(sync.WaitExit(30s), 1);
  const std::string log = sync.Log();
  EXPECT_NE(log.find("TLS handshake failed"), std::string::npos) << log;
  EXPECT_NE(log.find("--source-cacert"), std::string::npos) << log;
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;
}

}  // namespace
}  // namespace testing_support
