#include "common/absl_fmt.h"
#include "sync/full_sync.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "etcd/grpc_error.h"
#include "etcd/key_range.h"
#include "sync/copy_progress.h"
#include "sync/destination_writer.h"

namespace etcdsync {

std::vector<Mutation> DiffSorted(const std::vector<Mutation>& source,
                                 const std::vector<Mutation>& destination) {
  std::vector<Mutation> diff;
  size_t s = 0;
  size_t d = 0;
  while (s < source.size() || d < destination.size()) {
    const int order = s == source.size()        ? 1
                      : d == destination.size() ? -1
                                                : source[s].key.compare(destination[d].key);
    if (order < 0) {
      diff.push_back(source[s++]);
    } else if (order > 0) {
      Mutation remove;
      remove.kind = Mutation::Kind::kDelete;
      remove.key = destination[d++].key;
      diff.push_back(std::move(remove));
    } else {
      if (source[s].value != destination[d].value) diff.push_back(source[s]);
      ++s;
      ++d;
    }
  }
  return diff;
}

FullSync::FullSync(const SyncConfig& config, etcd::Client& source, etcd::Client& destination,
                   const KeyFilter& filter, ApplyPolicy& policy, SyncStats& stats, Fence fence)
    : config_(config),
      source_(source),
      destination_(destination),
      filter_(filter),
      policy_(policy),
      stats_(stats),
      fence_(std::move(fence)) {}

absl::Status FullSync::ReadDestination(const std::string& from, const std::string& to,
                                       std::vector<Mutation>& out) {
  etcd::pb::RangeRequest request;
  request.set_key(from);
  request.set_range_end(to);
  request.set_limit(config_.copy_page_size);
  while (true) {
    ASSIGN_OR_RETURN(etcd::pb::RangeResponse response, destination_.Range(request));
    for (const auto& kv : response.kvs()) {
      if (!filter_.Includes(kv.key())) continue;
      Mutation existing;
      existing.key = kv.key();
      existing.value = kv.value();
      out.push_back(std::move(existing));
    }
    if (!response.more() || response.kvs_size() == 0) return absl::OkStatus();
    request.set_key(etcd::KeySuccessor(response.kvs(response.kvs_size() - 1).key()));
  }
}

absl::StatusOr<FullSyncResult> FullSync::Run(const Checkpoint& identity, std::stop_token stop) {
  const std::string range_end = etcd::PrefixRangeEnd(config_.prefix);
  FullSyncResult result;

  etcd::pb::RangeRequest count;
  count.set_key(config_.prefix);
  count.set_range_end(range_end);
  count.set_count_only(true);
  ASSIGN_OR_RETURN(etcd::pb::RangeResponse counted, source_.Range(count));
  result.revision = counted.header().revision();
  spdlog::info("initial copy: {} keys under {} at source revision {}", counted.count(),
               config_.prefix, result.revision);

  Checkpoint copying = identity;
  copying.phase = Checkpoint::Phase::kCopying;
  copying.revision = result.revision;
  RETURN_IF_ERROR(ApplyTxn(destination_, BuildCheckpointTxn(fence_, config_.CheckpointKey(),
                                                              copying)));

  const TxnLimits limits{config_.max_txn_ops, config_.max_request_bytes};
  CopyProgress progress(counted.count(), config_.progress_interval);
  ParallelApplier applier(destination_, config_.copy_parallelism);
  int64_t pinned = result.revision;
  std::string cursor = config_.prefix;
  int64_t bytes_written = 0;

  while (true) {
    if (stop.stop_requested()) return absl::CancelledError("stopped during the initial copy");
    etcd::pb::RangeRequest page;
    page.set_key(cursor);
    page.set_range_end(range_end);
    page.set_limit(config_.copy_page_size);
    page.set_revision(pinned);
    auto response = source_.Range(page);
    if (!response.ok() && etcd::IsCompacted(response.status())) {
      // The source compacted our pinned revision mid-copy: carry on at the newest
      // revision rather than failing; the next pass will close the gap.
      spdlog::warn("initial copy: source compacted revision {} during the copy; continuing at "
                   "the current revision",
                   pinned);
      result.repinned = true;
      page.set_revision(0);
      response = source_.Range(page);
      if (response.ok()) pinned = response->header().revision();
    }
    if (!response.ok()) return response.status();

    std::vector<Mutation> wanted;
    wanted.reserve(response->kvs_size());
    for (const auto& kv : response->kvs()) {
      if (!filter_.Includes(kv.key())) continue;
      Mutation put;
      put.key = kv.key();
      put.value = kv.value();
      put.source_lease = kv.lease();
      wanted.push_back(std::move(put));
    }
    result.keys_scanned += response->kvs_size();
    const bool more = response->more() && response->kvs_size() > 0;
    const std::string interval_end =
        more ? etcd::KeySuccessor(response->kvs(response->kvs_size() - 1).key()) : range_end;

    std::vector<Mutation> present;
    RETURN_IF_ERROR(ReadDestination(cursor, interval_end, present));
    std::vector<Mutation> diff = policy_.Admit(DiffSorted(wanted, present));
    for (const Mutation& mutation : diff) {
      (mutation.kind == Mutation::Kind::kPut ? result.puts : result.deletes)++;
      bytes_written += static_cast<int64_t>(mutation.bytes());
    }
    stats_.copy_keys_written += static_cast<int64_t>(diff.size());
    TxnBatch batch = BuildTxns(diff, fence_, limits);
    for (auto& txn : batch.txns) RETURN_IF_ERROR(applier.Submit(std::move(txn)));
    progress.Update(result.keys_scanned, result.puts + result.deletes, bytes_written);
    if (!more) break;
    cursor = interval_end;
  }
  RETURN_IF_ERROR(applier.Finish());
  stats_.copy_bytes_written += bytes_written;
  progress.Done(result.keys_scanned, result.puts + result.deletes, bytes_written);
  spdlog::info("initial copy: {} puts, {} deletes to make the destination equal to source "
               "revision {}",
               result.puts, result.deletes, result.revision);
  return result;
}

}  // namespace etcdsync
