#include "sync/syncer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/strings/match.h"
#include "common/absl_fmt.h"
#include "common/status_macros.h"
#include "etcd/grpc_error.h"
#include "etcd/key_range.h"
#include "etcd/lease_keeper.h"
#include "sync/destination_writer.h"
#include "sync/full_sync.h"
#include "sync/live_replicator.h"
#include "sync/repeat_limiter.h"

namespace etcdsync {

// The longest wait between retries after an etcd outage: what a fault costs past its heal
// (the fault suite measured 11-14 s to consistent after a one-minute quorum loss with 30 s).
constexpr std::chrono::milliseconds kMaxRetryBackoff{5000};
// Status reads a member's revision and applied index one after the other: entries applied in
// between make one measure of the log lead larger than the next (by a few at most). A restore
// from a snapshot of fewer revisions than this goes unnoticed by the log lead alone.
constexpr int64_t kLogLeadSlack = 32;
namespace {

// Sleeps for `delay` unless `stop` is requested first.
void SleepFor(std::chrono::milliseconds delay, std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any cv;
  std::unique_lock lock(mutex);
  cv.wait_for(lock, stop, delay, [] { return false; });
}

bool InRange(std::string_view key, std::string_view begin, std::string_view end) {
  return key >= begin && (end == std::string_view("\0", 1) || key < end);
}

// A stop token that fires when either of two sources does.
class EitherStop {
 public:
  EitherStop(std::stop_token a, std::stop_token b)
      : a_(std::move(a), [this] { source_.request_stop(); }),
        b_(std::move(b), [this] { source_.request_stop(); }) {}
  std::stop_token token() const { return source_.get_token(); }

 private:
  std::stop_source source_;
  std::stop_callback<std::function<void()>> a_;
  std::stop_callback<std::function<void()>> b_;
};

}  // namespace

absl::Status ValidateConfig(const SyncConfig& config) {
  if (config.state_prefix.empty()) {
    return absl::InvalidArgumentError("--state-prefix must not be empty");
  }
  const std::string end = etcd::PrefixRangeEnd(config.prefix);
  if (InRange(config.CheckpointKey(), config.prefix, end) ||
      InRange(config.ElectionName(), config.prefix, end) ||
      config.prefix.starts_with(config.state_prefix)) {
    return absl::InvalidArgumentError(fmt::format(
        "{}{}{}{}{}", "--prefix \"", config.prefix, "\" overlaps etcd-sync's own state under \"",
        config.state_prefix, "\": choose a --state-prefix outside the synced prefix"));
  }
  if (config.max_txn_ops < 2) {
    return absl::InvalidArgumentError("--max-txn-ops must be at least 2");
  }
  if (config.max_request_bytes < 64 * 1024) {
    return absl::InvalidArgumentError("--max-request-bytes must be at least 65536");
  }
  if (config.copy_page_size < 1 || config.copy_parallelism < 1) {
    return absl::InvalidArgumentError("--copy-page-size and --copy-parallelism must be positive");
  }
  if (config.lease_ttl.count() < 3) {
    return absl::InvalidArgumentError("--leader-lease-ttl must be at least 3 seconds");
  }
  return absl::OkStatus();
}

Syncer::Syncer(SyncConfig config, etcd::Client& source, etcd::Client& destination,
               const KeyFilter& filter, ApplyPolicy& policy, SyncStats& stats)
    : config_(std::move(config)),
      source_(source),
      destination_(destination),
      filter_(filter),
      policy_(policy),
      stats_(stats) {}

absl::StatusOr<Checkpoint> Syncer::SourceIdentity() {
  ASSIGN_OR_RETURN(etcd::pb::StatusResponse status, source_.MemberStatus());
  Checkpoint identity;
  identity.source_cluster_id = fmt::format("{:x}", status.header().cluster_id());
  identity.prefix = config_.prefix;
  identity.revision = status.header().revision();  // the source's now: compared, not stored
  identity.source_raft_term = static_cast<int64_t>(status.raftterm());
  // Status reads the revision before the applied index: applies in between only raise this.
  identity.source_log_lead =
      static_cast<int64_t>(status.raftappliedindex()) - status.header().revision();
  return identity;
}

absl::Status Syncer::Run(std::stop_token stop) {
  std::chrono::milliseconds backoff(500);
  // The lease of a term this process lost to an outage of the destination. The destination
  // may still hold it, and its leader key with it: a new etcd leader extends every lease by
  // its TTL and more, so without a revoke the next campaign would wait behind our own old
  // key (measured: ~10 s to consistent after a 30 s quorum loss, against ~0.4 s on the source
  // side). The term is over here, so revoking it is a step-down, nothing more.
  std::optional<int64_t> stale_lease;
  while (!stop.stop_requested()) {
    auto keeper = etcd::LeaseKeeper::Start(destination_, config_.lease_ttl);
    if (!keeper.ok()) {
      spdlog::error("cannot create the leader lease: {}", keeper.status().message());
      SleepFor(backoff, stop);
      backoff = std::min(backoff * 2, kMaxRetryBackoff);
      continue;
    }
    if (stale_lease) {
      const absl::Status revoked = destination_.LeaseRevoke(*stale_lease);
      if (revoked.ok() || revoked.code() == absl::StatusCode::kNotFound ||
          absl::StrContains(revoked.message(), "lease not found")) {
        if (revoked.ok()) {
          spdlog::info("revoked lease {:x} of the term lost in the outage (its leader key with it)",
                       *stale_lease);
        }
        stale_lease.reset();
      }
    }
    EitherStop term((*keeper)->lost(), stop);
    spdlog::info("campaigning for leadership of {} as {}", config_.ElectionName(),
                 config_.identity);
    auto leader = destination_.Campaign(config_.ElectionName(), (*keeper)->id(), config_.identity,
                                        term.token());
    if (!leader.ok()) {
      if (stop.stop_requested()) break;
      spdlog::error("leader election failed: {}", leader.status().message());
      SleepFor(backoff, stop);
      backoff = std::min(backoff * 2, kMaxRetryBackoff);
      continue;
    }
    backoff = std::chrono::milliseconds(500);
    spdlog::info("Acquired leader lease {} as {} (leader key {})", config_.ElectionName(),
                 config_.identity, leader->key());
    stats_.leader = true;
    // The Lease renews on its own thread for this term only; an API outage never stops Lead.
    std::unique_ptr<LeaderLeasePublisher::Term> published =
        lease_publisher_ ? lease_publisher_->StartTerm(term.token()) : nullptr;
    absl::Status led = Lead(Fence{leader->key(), leader->rev()}, term.token());
    published.reset();  // stop renewing before resigning; the next leader takes the Lease over
    stats_.leader = false;
    if (stop.stop_requested()) {
      destination_.Resign(*leader).IgnoreError();
      break;
    }
    if (!led.ok() && !IsFenceLost(led) && !(*keeper)->lost().stop_requested()) {
      return led;  // fatal: no retry will fix it
    }
    if ((*keeper)->lost().stop_requested()) stale_lease = (*keeper)->id();
    spdlog::warn("lost leadership ({}); campaigning again",
                 led.ok() ? "leader lease expired" : led.message());
  }
  spdlog::info("etcd-sync stopped");
  return absl::OkStatus();
}

absl::Status Syncer::Lead(const Fence& fence, std::stop_token stop) {
  // Every serial write of this term is chained on the checkpoint (a replayed Txn is harmless).
  CheckpointChain chain(config_.CheckpointKey());
  FullSync full_sync(config_, source_, destination_, filter_, policy_, stats_, fence, &chain);
  if (reconciler_ != nullptr) {
    full_sync.LeaveBoundaries(reconciler_->boundaries(), Reconciler::chunk_keys());
  }
  LiveReplicator live(config_, source_, destination_, filter_, policy_, stats_, fence, &chain,
                      tap_);
  std::chrono::milliseconds backoff(500);
  bool force_full_sync = false;
  bool announced = false;
  // The reconcile pass: repairs only under this term's fence; stopped and joined (declared
  // last, destroyed first) before the fence is withdrawn.
  struct StandDown {
    Reconciler* reconciler;
    ~StandDown() {
      if (reconciler != nullptr) reconciler->StandDown();
    }
  } stand_down{reconciler_};
  if (reconciler_ != nullptr) reconciler_->Lead(fence);
  bool full_synced = false;
  std::jthread reconcile_pass;
  // A lasting condition (NOSPACE, an unreachable side) is one warning a minute, with a count.
  RepeatLimiter repeats;

  while (!stop.stop_requested()) {
    const auto attempt_started = std::chrono::steady_clock::now();
    const int64_t applied_before = stats_.txns_applied;
    absl::Status status = [&]() -> absl::Status {
      ASSIGN_OR_RETURN(Checkpoint identity, SourceIdentity());
      RETURN_IF_ERROR(policy_.Prepare(destination_));
      auto read = ReadCheckpoint(destination_, config_.CheckpointKey());
      if (!read.ok() && read.status().code() != absl::StatusCode::kDataLoss) {
        return read.status();
      }
      const std::optional<Checkpoint> stored = read.ok() ? *read : std::nullopt;
      RETURN_IF_ERROR(chain.Load(destination_));
      Checkpoint start = identity;
      start.phase = Checkpoint::Phase::kLive;
      std::string reason;
      if (!read.ok()) {
        reason =
            fmt::format("{}{}{}", "the checkpoint is unreadable (", read.status().message(), ")");
      } else if (force_full_sync) {
        reason = "the source compacted past the last applied revision";
      } else if (!stored) {
        reason = "no checkpoint on the destination";
      } else if (stored->phase != Checkpoint::Phase::kLive) {
        reason = "the previous copy did not finish";
      } else if (stored->source_cluster_id != identity.source_cluster_id) {
        reason = fmt::format("{}{}", "the checkpoint belongs to source cluster ",
                             stored->source_cluster_id);
      } else if (identity.revision < stored->revision) {
        // Restored from a snapshot: the cluster ID may stay the same, the revision goes
        // backwards, and watching from the checkpoint would skip the source's new history.
        reason = fmt::format(
            "the source is at revision {}, behind the checkpoint's {} (restored "
            "from a snapshot?)",
            identity.revision, stored->revision);
      } else if (stored->source_raft_term != 0 &&
                 identity.source_raft_term < stored->source_raft_term) {
        reason = fmt::format(
            "the source's raft term went back from {} to {} (restored from a snapshot?)",
            stored->source_raft_term, identity.source_raft_term);
      } else if (stored->source_log_lead != 0 &&
                 identity.source_log_lead + kLogLeadSlack < stored->source_log_lead) {
        reason = fmt::format(
            "the source's raft log went back: its applied index is {} entries ahead of its "
            "revision, it was {} (restored from a snapshot?)",
            identity.source_log_lead, stored->source_log_lead);
      } else if (stored->prefix != identity.prefix) {
        reason = fmt::format("{}{}{}", "the checkpoint was for prefix \"", stored->prefix, "\"");
      }
      if (!reason.empty()) {
        spdlog::info("starting a full copy of {}: {}", config_.prefix, reason);
        stats_.initial_copy_done = false;
        ++stats_.full_syncs;
        ASSIGN_OR_RETURN(FullSyncResult copied, full_sync.Run(identity, stop));
        start.revision = copied.revision;
        RETURN_IF_ERROR(ApplyTxn(destination_,
                                 BuildCheckpointTxn(fence, config_.CheckpointKey(), start),
                                 OversizeHandling{config_.CheckpointKey(), &stats_, &chain}));
        force_full_sync = false;
        announced = false;
        full_synced = true;
      } else {
        start.revision = stored->revision;
        spdlog::info(
            "resuming from checkpoint: source revision {} (the source's raft term {}, applied "
            "index - revision {}; at the checkpoint's start {}, {})",
            start.revision, identity.source_raft_term, identity.source_log_lead,
            stored->source_raft_term, stored->source_log_lead);
        if (reconciler_ != nullptr && !full_synced && !reconcile_pass.joinable()) {
          reconcile_pass = std::jthread([this, stop](std::stop_token own) {
            EitherStop either(own, stop);
            reconciler_->Run(Reconciler::Trigger::kLeaderStart, nullptr, either.token())
                .IgnoreError();  // logged by the pass; the periodic check repairs the rest
          });
        }
      }
      return live.Run(start, stop, [&] {
        stats_.initial_copy_done = true;
        if (!announced) {
          spdlog::info("Start Sync update from source revision {}", start.revision + 1);
          announced = true;
        }
      });
    }();
    if (stop.stop_requested()) return absl::OkStatus();
    if (IsFenceLost(status)) return status;
    if (etcd::IsCompacted(status)) {
      spdlog::warn("{}; running a full resync", status.message());
      force_full_sync = true;
      continue;
    }
    if (status.code() == absl::StatusCode::kInvalidArgument) {
      return status;
    }
    // The backoff starts again only after an attempt that wrote or ran a while: a retry that
    // fails at once (the destination out of space) backs off to kMaxRetryBackoff.
    const auto now = std::chrono::steady_clock::now();
    if (stats_.txns_applied > applied_before || now - attempt_started > 2 * kMaxRetryBackoff) {
      backoff = std::chrono::milliseconds(500);
      repeats.Clear();
    }
    if (auto line =
            repeats.Note(fmt::format("replication interrupted: {}", status.message()), now)) {
      spdlog::warn("{}; retrying in {} ms", *line, backoff.count());
    }
    SleepFor(backoff, stop);
    backoff = std::min(backoff * 2, kMaxRetryBackoff);
  }
  return absl::OkStatus();
}

}  // namespace etcdsync
