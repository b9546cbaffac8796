// A Kubernetes-shaped churn writer for the fault suite: at a steady rate it creates, updates
// and deletes Deployment -> ReplicaSet -> Pod chains (ownerReferences by uid), ConfigMaps,
// Secrets and a custom resource, several of them in multi-key Txns, and records what it did
// so the end state is known: what committed, what was deleted, and what it cannot know (a
// request that failed without an answer may or may not have committed).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "etcd/client.h"

namespace workload {

struct ChurnOptions {
  std::string prefix = "/registry/";
  double writes_per_second = 200;  // keys written per second (a Txn of n keys counts n)
  uint64_t seed = 1;               // also in every uid, so two writers never collide
  std::string name = "churn";      // in namespaces: churn-<name>-<nn>
  int pods_per_replicaset = 3;
  size_t live_deployments = 40;  // above this, deletes are preferred
};

struct ChurnRecord {
  std::map<std::string, std::string> expected;  // committed (acknowledged) last values
  std::set<std::string> deleted;                // acknowledged deletes
  std::set<std::string> uncertain;              // last write's outcome unknown
  std::set<std::string> written_once;           // created, acknowledged, never written again
  int64_t writes = 0;                           // acknowledged key writes (puts and deletes)
  int64_t txns = 0;
  int64_t failed_txns = 0;
};

class ChurnWriter {
 public:
  ChurnWriter(etcd::Client& client, ChurnOptions options);
  ~ChurnWriter() { Stop(); }

  void Start();
  void Stop();  // waits for the request in flight
  ChurnRecord record() const;

  // Keys the record says committed (or were deleted) that `source` does not hold so: empty
  // when the source kept every acknowledged write.
  absl::StatusOr<std::vector<std::string>> Disagreements(etcd::Client& source) const;

 private:
  struct Op {
    std::string key;
    std::string value;  // empty with remove
    bool remove = false;
    bool once = false;  // never written again
  };
  struct Deployment {
    std::string ns, name, uid, rs_uid;
    int64_t generation = 1;
  };

  void Run(std::stop_token stop);
  // One step: one to three Txns; returns keys written.
  int64_t Step();
  bool Commit(const std::vector<Op>& ops);
  std::string Uid();
  std::string Object(const std::string& kind, const std::string& api_version, const std::string& ns,
                     const std::string& name, const std::string& uid, int64_t generation,
                     const std::string& owner_kind = "", const std::string& owner_name = "",
                     const std::string& owner_uid = "");
  std::string Key(const std::string& resource, const std::string& ns,
                  const std::string& name) const;
  std::vector<Op> ChainKeys(const Deployment& d, bool remove);

  etcd::Client& client_;
  ChurnOptions options_;
  std::mt19937_64 random_;
  int64_t sequence_ = 0;
  std::vector<Deployment> deployments_;
  mutable std::mutex mutex_;
  ChurnRecord record_;
  std::jthread thread_;
};

}  // namespace workload
