// A primary and a standby etcd (real servers) and etcd-sync run as a real process between
// them, with helpers to load data, wait for convergence and compare byte for byte.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/etcd_member.h"
#include "support/temp_dir.h"
#include "workload/keyspace_diff.h"

namespace testing_support {

class EtcdSyncTest : public ::testing::Test {
 protected:
  EtcdSyncTest();

  // etcd-sync's command line between the pair, the monitor on `listen`, then `extra_args`.
  std::vector<std::string> SyncArgv(const std::vector<std::string>& extra_args = {},
                                    const std::string& listen = "127.0.0.1:0");
  std::unique_ptr<ChildProcess> StartSync(const std::vector<std::string>& extra_args = {},
                                          const std::string& log_name = "sync.log");
  // Writes `count` Kubernetes-shaped objects into the primary.
  void Load(int64_t count, int64_t first = 0, int64_t generation = 0, size_t value_size = 512);
  // Waits until both sides hold the same keys and values under /registry/.
  workload::KeyspaceDiff WaitEqual(std::chrono::seconds timeout = std::chrono::seconds(60));

  // Polls `condition` until it holds or `timeout` passes; returns its last value.
  static bool WaitUntil(const std::function<bool()>& condition,
                        std::chrono::milliseconds timeout = std::chrono::seconds(20));

  void Put(etcd::Client& client, const std::string& key, const std::string& value);
  void Delete(etcd::Client& client, const std::string& key);
  std::optional<std::string> Get(etcd::Client& client, const std::string& key);
  int64_t Revision(etcd::Client& client);
  int64_t Count(etcd::Client& client, const std::string& prefix);

  TempDir dir_;
  std::unique_ptr<EtcdMember> primary_;
  std::unique_ptr<EtcdMember> standby_;
};

}  // namespace testing_support
