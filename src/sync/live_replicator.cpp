#include "sync/live_replicator.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "common/absl_fmt.h"
#include "common/status_macros.h"
#include "etcd/key_range.h"
#include "etcd/watch_stream.h"
#include "sync/destination_writer.h"

namespace etcdsync {
namespace {

// With no in-range events, the checkpoint still follows the source (on progress notices)
// so that a restart after a quiet period does not fall behind the compaction point.
constexpr auto kIdleCheckpointInterval = std::chrono::seconds(30);
constexpr size_t kMaxQueuedResponses = 4096;
constexpr auto kTickInterval = std::chrono::milliseconds(1000);

// Watch responses between the reader thread and the applier; bounded so a slow
// destination pushes back on the stream instead of growing memory.
class WatchQueue {
 public:
  bool Push(absl::StatusOr<etcd::pb::WatchResponse> response, std::stop_token stop) {
    std::unique_lock lock(mutex_);
    if (!changed_.wait(lock, stop, [&] { return items_.size() < kMaxQueuedResponses; })) {
      return false;
    }
    items_.push_back(std::move(response));
    if (items_.size() == 1) oldest_ = Now();
    changed_.notify_all();
    return true;
  }
  // Waits for at least one item, then takes all that are there.
  void PopAll(std::vector<absl::StatusOr<etcd::pb::WatchResponse>>& out, std::stop_token stop,
              std::chrono::milliseconds at_most) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, stop, at_most, [&] { return !items_.empty(); });
    while (!items_.empty()) {
      out.push_back(std::move(items_.front()));
      items_.pop_front();
    }
    in_hand_ = oldest_;
    oldest_ = 0;
    changed_.notify_all();
  }
  // When the oldest change not yet applied arrived (0 when there is none). Called after
  // the popped batch is written, so what is in hand counts until then.
  int64_t OldestPending() {
    std::lock_guard lock(mutex_);
    in_hand_ = 0;
    return items_.empty() ? 0 : oldest_;
  }
  int64_t InHand() {
    std::lock_guard lock(mutex_);
    return in_hand_ != 0 ? in_hand_ : oldest_;
  }
  static int64_t Now() { return std::chrono::steady_clock::now().time_since_epoch().count(); }
  void Wake() { changed_.notify_all(); }

 private:
  std::mutex mutex_;
  std::condition_variable_any changed_;
  std::deque<absl::StatusOr<etcd::pb::WatchResponse>> items_;
  int64_t oldest_ = 0;   // arrival of items_.front()
  int64_t in_hand_ = 0;  // arrival of the oldest popped item being written
};

}  // namespace

LiveReplicator::LiveReplicator(const SyncConfig& config, etcd::Client& source,
                               etcd::Client& destination, const KeyFilter& filter,
                               ApplyPolicy& policy, SyncStats& stats, Fence fence,
                               CheckpointChain* chain, WatchTap* tap)
    : config_(config),
      source_(source),
      destination_(destination),
      filter_(filter),
      policy_(policy),
      stats_(stats),
      fence_(std::move(fence)),
      chain_(chain),
      tap_(tap) {}

absl::Status LiveReplicator::Apply(std::vector<Mutation> mutations, Checkpoint& checkpoint) {
  const int64_t through = mutations.back().revision;
  return Write(policy_.Admit(std::move(mutations)), through, checkpoint);
}

absl::Status LiveReplicator::Write(std::vector<Mutation> admitted, int64_t through,
                                   Checkpoint& checkpoint) {
  if (admitted.empty() && through == checkpoint.revision) return absl::OkStatus();
  const TxnLimits limits{config_.max_txn_ops, config_.max_request_bytes};
  Checkpoint next = checkpoint;
  TxnBatch batch =
      BuildTxns(admitted, fence_, limits, config_.CheckpointKey(), next, checkpoint.revision);
  if (batch.txns.empty()) {
    next.revision = through;
    batch.txns.push_back(BuildCheckpointTxn(fence_, config_.CheckpointKey(), next));
  }
  for (int64_t revision : batch.split_revisions) {
    spdlog::warn(
        "source revision {} is larger than one destination Txn allows "
        "(max-txn-ops {}, max-request-bytes {}): applied in several Txns",
        revision, config_.max_txn_ops, config_.max_request_bytes);
  }
  stats_.split_revisions += static_cast<int64_t>(batch.split_revisions.size());
  const OversizeHandling oversize{config_.CheckpointKey(), &stats_, chain_};
  // The Txns hold copies of the mutations: keep only their counts and free them before
  // writing (a revision of many keys otherwise holds both while its Txns go out).
  const bool debug = spdlog::should_log(spdlog::level::debug);
  const int64_t events = static_cast<int64_t>(admitted.size());
  int64_t bytes = 0;
  for (const Mutation& mutation : admitted) bytes += static_cast<int64_t>(mutation.bytes());
  if (!debug) std::vector<Mutation>().swap(admitted);
  const auto started = std::chrono::steady_clock::now();
  for (auto& txn : batch.txns) {
    RETURN_IF_ERROR(ApplyTxn(destination_, txn, oversize));
    if (!debug) txn = etcd::pb::TxnRequest();  // written: freed now, not after the last one
  }
  const auto written = std::chrono::steady_clock::now();
  stats_.apply_duration.Observe(written - started);
  if (events > 0) stats_.last_applied_ns = written.time_since_epoch().count();
  checkpoint.revision = through;
  stats_.applied_revision = through;
  stats_.txns_applied += static_cast<int64_t>(batch.txns.size());
  stats_.events_applied += events;
  stats_.bytes_applied += bytes;
  for (const Mutation& mutation : admitted) {
    spdlog::debug("applied {} {} (source revision {})",
                  mutation.kind == Mutation::Kind::kPut ? "put" : "delete", mutation.key,
                  mutation.revision);
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
  if (stats_.watch_opened.exchange(true)) ++stats_.watch_restarts;
  stats_.applied_revision = checkpoint.revision;
  on_started();
  // Closed after the reader below is joined (declared before it, destroyed after it).
  struct TapClose {
    WatchTap* tap;
    ~TapClose() {
      if (tap != nullptr) tap->Close();
    }
  } tap_close{tap_};
  if (tap_ != nullptr) tap_->Open(checkpoint.revision + 1);

  // The reader keeps the stream drained while a Txn is in flight; the applier then takes
  // everything that arrived meanwhile in one go (group commit), so one destination round
  // trip carries many source revisions under load, each still atomic.
  WatchQueue queue;
  std::jthread reader([&](std::stop_token reader_stop) {
    std::stop_callback cancel(reader_stop, [&] { watch->Cancel(); });
    while (true) {
      auto response = watch->Next();
      const bool failed = !response.ok();
      if (!failed && tap_ != nullptr) tap_->Deliver(*response);
      if (!queue.Push(std::move(response), reader_stop) || failed) return;
    }
  });
  std::stop_callback cancel_on_stop(stop, [&] {
    reader.request_stop();
    queue.Wake();
  });

  auto last_checkpoint_write = std::chrono::steady_clock::now();
  std::vector<absl::StatusOr<etcd::pb::WatchResponse>> arrived;
  while (!stop.stop_requested()) {
    arrived.clear();
    queue.PopAll(arrived, stop, kTickInterval);
    stats_.pending_since_ns = queue.InHand();
    std::vector<Mutation> mutations;
    int64_t progress_revision = 0;
    absl::Status failure;
    for (auto& response : arrived) {
      if (!response.ok()) {
        failure = response.status();
        break;
      }
      if (response->events_size() == 0) {
        // Progress notification: everything up to header.revision has been delivered.
        progress_revision = std::max(progress_revision, response->header().revision());
        continue;
      }
      for (const auto& event : response->events()) {
        if (!filter_.Includes(event.kv().key())) continue;
        Mutation mutation;
        mutation.kind =
            event.type() == mvccpb::Event::DELETE ? Mutation::Kind::kDelete : Mutation::Kind::kPut;
        if (mutation.kind == Mutation::Kind::kPut && !config_.Replicates(event.kv().lease())) {
          // Not replicated: make sure no older, lease-free copy stays behind.
          mutation.kind = Mutation::Kind::kDelete;
          ++stats_.lease_keys_skipped;
        }
        if (mutation.kind == Mutation::Kind::kPut &&
            !filter_.IncludesValue(event.kv().key(), event.kv().value())) {
          // Cluster-local runtime state (a Pod bound to a node): the standby's own
          // controllers own its copy, if any; a delete of the key still replicates.
          ++stats_.local_values_skipped;
          continue;
        }
        mutation.key = event.kv().key();
        mutation.revision = event.kv().mod_revision();
        if (mutation.kind == Mutation::Kind::kPut) {
          mutation.value = event.kv().value();
        }
        mutations.push_back(std::move(mutation));
      }
    }
    // The responses are copied into `mutations`: free them before the Txns are built, so a
    // revision of 100k deletes does not hold its events three times over (response,
    // mutations, Txns) while it is written.
    arrived.clear();
    if (!mutations.empty()) {
      RETURN_IF_ERROR(Apply(std::move(mutations), checkpoint));
      last_checkpoint_write = std::chrono::steady_clock::now();
    } else if (progress_revision > checkpoint.revision &&
               std::chrono::steady_clock::now() - last_checkpoint_write > kIdleCheckpointInterval) {
      Checkpoint next = checkpoint;
      next.revision = progress_revision;
      RETURN_IF_ERROR(ApplyTxn(destination_,
                               BuildCheckpointTxn(fence_, config_.CheckpointKey(), next),
                               OversizeHandling{config_.CheckpointKey(), &stats_, chain_}));
      checkpoint = next;
      stats_.applied_revision = progress_revision;
      last_checkpoint_write = std::chrono::steady_clock::now();
    }
    stats_.pending_since_ns = queue.OldestPending();
    if (!failure.ok()) return failure;
    // Whatever the policy has become ready to write (e.g. dependents held too long).
    RETURN_IF_ERROR(Write(policy_.Tick(checkpoint.revision), checkpoint.revision, checkpoint));
  }
  return absl::CancelledError("stopped");
}

}  // namespace etcdsync
