// Writes sample objects into an etcd as fast as it absorbs them: batched Txns sized to the
// server's limits, several in flight. Also the benchmarks' "raw batched writer" ceiling.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "etcd/client.h"

namespace workload {

struct LoadOptions {
  std::string prefix = "/registry/";
  int64_t first = 0;
  int64_t count = 1000;
  size_t value_size = 1024;
  int64_t generation = 0;  // changes every value, for "update everything" workloads
  int max_txn_ops = 128;
  size_t max_request_bytes = 1536 * 1024;
  int parallelism = 8;
};

struct LoadResult {
  int64_t keys = 0;
  int64_t bytes = 0;
  double seconds = 0;
};

absl::StatusOr<LoadResult> LoadSampleObjects(etcd::Client& client, const LoadOptions& options);

}  // namespace workload
