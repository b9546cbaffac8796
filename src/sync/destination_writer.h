// Sends fenced Txns to the destination: one at a time (live replication, where order is
// everything) or several in flight from a bounded queue (the initial copy, where key
// ranges are disjoint and throughput is everything).
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "etcd/client.h"

namespace etcdsync {

// Aborted with this text when the fence compare failed: another replica leads now.
absl::Status FenceLostError(std::string_view detail);
bool IsFenceLost(const absl::Status& status);

absl::Status ApplyTxn(etcd::Client& destination, const etcd::pb::TxnRequest& txn);

class ParallelApplier {
 public:
  ParallelApplier(etcd::Client& destination, int parallelism);
  ~ParallelApplier();

  // Blocks while the queue is full. Returns the first failure so far, if any.
  absl::Status Submit(etcd::pb::TxnRequest txn);
  // Waits for every submitted Txn; returns the first failure.
  absl::Status Finish();

 private:
  void Work(std::stop_token stop);

  etcd::Client& destination_;
  const size_t capacity_;
  std::mutex mutex_;
  std::condition_variable_any changed_;
  std::deque<etcd::pb::TxnRequest> queue_;
  size_t busy_ = 0;
  absl::Status first_error_;
  std::vector<std::jthread> workers_;
};

}  // namespace etcdsync
