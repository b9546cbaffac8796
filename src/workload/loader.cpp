#include "workload/loader.h"

#include <chrono>

#include "common/status_macros.h"
#include "sync/destination_writer.h"
#include "sync/txn_batcher.h"
#include "workload/kube_keys.h"

namespace workload {

absl::StatusOr<LoadResult> LoadSampleObjects(etcd::Client& client, const LoadOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  LoadResult result;
  etcdsync::ParallelApplier applier(client, options.parallelism);
  const etcdsync::TxnLimits limits{options.max_txn_ops, options.max_request_bytes};
  constexpr int64_t kChunk = 4096;
  for (int64_t begin = options.first; begin < options.first + options.count; begin += kChunk) {
    const int64_t end = std::min(options.first + options.count, begin + kChunk);
    std::vector<etcdsync::Mutation> puts;
    puts.reserve(static_cast<size_t>(end - begin));
    for (int64_t i = begin; i < end; ++i) {
      SampleObject object =
          MakeSampleObject(options.prefix, i, options.value_size, options.generation);
      etcdsync::Mutation put;
      put.key = std::move(object.key);
      put.value = std::move(object.value);
      result.bytes += static_cast<int64_t>(put.bytes());
      puts.push_back(std::move(put));
    }
    result.keys += end - begin;
    for (auto& txn : etcdsync::BuildTxns(puts, etcdsync::Fence{}, limits).txns) {
      RETURN_IF_ERROR(applier.Submit(std::move(txn)));
    }
  }
  RETURN_IF_ERROR(applier.Finish());
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace workload
