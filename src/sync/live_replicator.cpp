#include "common/absl_fmt.h"
#include "sync/live_replicator.h"

#include <spdlog/spdlog.h>

#include "common/status_macros.h"
#include "etcd/key_range.h"
#include "etcd/watch_stream.h"
#include "sync/destination_writer.h"

namespace etcdsync {
namespace {

// With no in-range events, the checkpoint still follows the source (on progress notices)
// so that a restart after a quiet period does not fall behind the compaction point.
constexpr auto kIdleCheckpointInterval = std::chrono::seconds(30);

}  // namespace

LiveReplicator::LiveReplicator(const SyncConfig& config, etcd::Client& source,
                               etcd::Client& destination, const KeyFilter& filter,
                               ApplyPolicy& policy, SyncStats& stats, Fence fence)
    : config_(config),
      source_(source),
      destination_(destination),
      filter_(filter),
      policy_(policy),
      stats_(stats),
      fence_(std::move(fence)) {}

absl::Status LiveReplicator::Apply(std::vector<Mutation> mutations, Checkpoint& checkpoint) {
  const int64_t through = mutations.back().revision;
  std::vector<Mutation> admitted = policy_.Admit(std::move(mutations));
  const TxnLimits limits{config_.max_txn_ops, config_.max_request_bytes};
  Checkpoint next = checkpoint;
  TxnBatch batch =
      BuildTxns(admitted, fence_, limits, config_.CheckpointKey(), next, checkpoint.revision);
  if (batch.txns.empty()) {
    next.revision = through;
    batch.txns.push_back(BuildCheckpointTxn(fence_, config_.CheckpointKey(), next));
  }
  for (int64_t revision : batch.split_revisions) {
    spdlog::warn("source revision {} is larger than one destination Txn allows "
                 "(max-txn-ops {}, max-request-bytes {}): applied in several Txns",
                 revision, config_.max_txn_ops, config_.max_request_bytes);
  }
  stats_.split_revisions += static_cast<int64_t>(batch.split_revisions.size());
  for (const auto& txn : batch.txns) RETURN_IF_ERROR(ApplyTxn(destination_, txn));
  checkpoint.revision = through;
  stats_.applied_revision = through;
  stats_.txns_applied += static_cast<int64_t>(batch.txns.size());
  stats_.events_applied += static_cast<int64_t>(admitted.size());
  for (const Mutation& mutation : admitted) {
    stats_.bytes_applied += static_cast<int64_t>(mutation.bytes());
    if (spdlog::should_log(spdlog::level::debug)) {
      spdlog::debug("applied {} {} (source revision {})",
                    mutation.kind == Mutation::Kind::kPut ? "put" : "delete", mutation.key,
                    mutation.revision);
    }
  }
  return absl::OkStatus();
}

absl::Status LiveReplicator::Run(Checkpoint checkpoint, std::stop_token stop,
                                 const std::function<void()>& on_started) {
  etcd::pb::WatchCreateRequest create;
  create.set_key(config_.prefix);
  create.set_range_end(etcd::PrefixRangeEnd(config_.prefix));
  create.set_start_revision(checkpoint.revision + 1);
  create.set_progress_notify(true);
  ASSIGN_OR_RETURN(auto watch, etcd::WatchStream::Open(source_, create));
  std::stop_callback cancel(stop, [&watch] { watch->Cancel(); });
  stats_.applied_revision = checkpoint.revision;
  on_started();

  auto last_checkpoint_write = std::chrono::steady_clock::now();
  while (true) {
    auto response = watch->Next();
    if (!response.ok()) return response.status();
    if (response->events_size() == 0) {
      // Progress notification: everything up to header.revision has been delivered.
      const int64_t revision = response->header().revision();
      if (revision > checkpoint.revision &&
          std::chrono::steady_clock::now() - last_checkpoint_write > kIdleCheckpointInterval) {
        Checkpoint next = checkpoint;
        next.revision = revision;
        RETURN_IF_ERROR(ApplyTxn(destination_,
                                 BuildCheckpointTxn(fence_, config_.CheckpointKey(), next)));
        checkpoint = next;
        stats_.applied_revision = revision;
        last_checkpoint_write = std::chrono::steady_clock::now();
      }
      continue;
    }
    // A response holds whole revisions; write them together (atomic superset of each).
    std::vector<Mutation> mutations;
    mutations.reserve(response->events_size());
    for (const auto& event : response->events()) {
      if (!filter_.Includes(event.kv().key())) continue;
      Mutation mutation;
      mutation.kind = event.type() == mvccpb::Event::DELETE ? Mutation::Kind::kDelete
                                                            : Mutation::Kind::kPut;
      mutation.key = event.kv().key();
      mutation.revision = event.kv().mod_revision();
      if (mutation.kind == Mutation::Kind::kPut) {
        mutation.value = event.kv().value();
        mutation.source_lease = event.kv().lease();
      }
      mutations.push_back(std::move(mutation));
    }
    // Only excluded keys changed: the checkpoint catches up on the next write or notice.
    if (mutations.empty()) continue;
    RETURN_IF_ERROR(Apply(std::move(mutations), checkpoint));
    last_checkpoint_write = std::chrono::steady_clock::now();
  }
}

}  // namespace etcdsync
