#include "etcd_sync_fixture.h"

#include <thread>

#include "etcd/key_range.h"
#include "workload/loader.h"

namespace testing_support {

EtcdSyncTest::EtcdSyncTest()
    : primary_(std::make_unique<EtcdMember>(dir_.path(), "primary")),
      standby_(std::make_unique<EtcdMember>(dir_.path(), "standby")) {}

std::vector<std::string> EtcdSyncTest::SyncArgv(const std::vector<std::string>& extra_args,
                                                const std::string& listen) {
  std::vector<std::string> argv = {ETCD_SYNC_BINARY,
                                   "--source-endpoints",
                                   primary_->url(),
                                   "--dest-endpoints",
                                   standby_->url(),
                                   "--leader-lease-ttl",
                                   "3",
                                   "--monitor-listen",
                                   listen};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  return argv;
}

std::unique_ptr<ChildProcess> EtcdSyncTest::StartSync(const std::vector<std::string>& extra_args,
                                                      const std::string& log_name) {
  return std::make_unique<ChildProcess>(SyncArgv(extra_args), dir_.File(log_name));
}

void EtcdSyncTest::Load(int64_t count, int64_t first, int64_t generation, size_t value_size) {
  workload::LoadOptions options;
  options.first = first;
  options.count = count;
  options.generation = generation;
  options.value_size = value_size;
  auto loaded = workload::LoadSampleObjects(primary_->client(), options);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
}

workload::KeyspaceDiff EtcdSyncTest::WaitEqual(std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto diff = workload::DiffKeyspaces(primary_->client(), standby_->client(), "/registry/");
    EXPECT_TRUE(diff.ok()) << diff.status();
    if (!diff.ok() || diff->equal() || std::chrono::steady_clock::now() >= deadline) {
      return diff.ok() ? *diff : workload::KeyspaceDiff{};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

bool EtcdSyncTest::WaitUntil(const std::function<bool()>& condition,
                             std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

void EtcdSyncTest::Put(etcd::Client& client, const std::string& key, const std::string& value) {
  etcd::pb::PutRequest put;
  put.set_key(key);
  put.set_value(value);
  auto done = client.Put(put);
  ASSERT_TRUE(done.ok()) << done.status();
}

void EtcdSyncTest::Delete(etcd::Client& client, const std::string& key) {
  etcd::pb::DeleteRangeRequest remove;
  remove.set_key(key);
  auto done = client.DeleteRange(remove);
  ASSERT_TRUE(done.ok()) << done.status();
}

std::optional<std::string> EtcdSyncTest::Get(etcd::Client& client, const std::string& key) {
  etcd::pb::RangeRequest get;
  get.set_key(key);
  auto response = client.Range(get);
  EXPECT_TRUE(response.ok()) << response.status();
  if (!response.ok() || response->kvs_size() == 0) return std::nullopt;
  return response->kvs(0).value();
}

int64_t EtcdSyncTest::Revision(etcd::Client& client) {
  etcd::pb::RangeRequest get;
  get.set_key("/");
  get.set_count_only(true);
  return client.Range(get).value().header().revision();
}

int64_t EtcdSyncTest::Count(etcd::Client& client, const std::string& prefix) {
  etcd::pb::RangeRequest count;
  count.set_key(prefix);
  count.set_range_end(etcd::PrefixRangeEnd(prefix));
  count.set_count_only(true);
  return client.Range(count).value().count();
}

}  // namespace testing_support
