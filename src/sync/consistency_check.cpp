#include "sync/consistency_check.h"

#include <chrono>

#include "common/status_macros.h"
#include "etcd/grpc_error.h"
#include "etcd/key_range.h"
#include "sync/checkpoint.h"

namespace etcdsync {
namespace {

// Large pages: etcd 3.4 walks the whole rest of the range for every limited Range, so the
// number of calls, not their size, dominates on millions of keys.
constexpr int kPageSize = 10000;
constexpr int kAttempts = 3;

// One side of the merge: in-scope keys of [prefix, end) at a pinned revision, in pages.
class PinnedCursor {
 public:
  PinnedCursor(etcd::Client& client, const SyncConfig& config, const KeyFilter& filter,
               int64_t revision, bool is_source)
      : client_(client),
        config_(config),
        filter_(filter),
        revision_(revision),
        is_source_(is_source),
        next_(config.prefix),
        end_(etcd::PrefixRangeEnd(config.prefix)) {}

  absl::Status Fill() {
    while (position_ >= page_.size() && !done_) {
      etcd::pb::RangeRequest request;
      request.set_key(next_);
      request.set_range_end(end_);
      request.set_limit(kPageSize);
      request.set_revision(revision_);
      ASSIGN_OR_RETURN(etcd::pb::RangeResponse response, client_.Range(request));
      page_.clear();
      position_ = 0;
      if (!response.more() || response.kvs_size() == 0) {
        done_ = true;
      } else {
        next_ = etcd::KeySuccessor(response.kvs(response.kvs_size() - 1).key());
      }
      for (auto& kv : *response.mutable_kvs()) {
        if (!filter_.Includes(kv.key())) continue;
        if (is_source_ && !config_.Replicates(kv.lease())) continue;
        page_.emplace_back(std::move(*kv.mutable_key()), std::move(*kv.mutable_value()));
      }
    }
    return absl::OkStatus();
  }
  bool AtEnd() const { return position_ >= page_.size(); }
  const std::string& Key() const { return page_[position_].first; }
  const std::string& Value() const { return page_[position_].second; }
  void Advance() { ++position_; }

 private:
  etcd::Client& client_;
  const SyncConfig& config_;
  const KeyFilter& filter_;
  int64_t revision_;
  bool is_source_;
  std::string next_;
  std::string end_;
  std::vector<std::pair<std::string, std::string>> page_;
  size_t position_ = 0;
  bool done_ = false;
};

absl::StatusOr<CheckReport> OnePass(etcd::Client& source, etcd::Client& destination,
                                    const SyncConfig& config, const KeyFilter& filter,
                                    CheckSink& sink) {
  etcd::pb::RangeRequest read_checkpoint;
  read_checkpoint.set_key(config.CheckpointKey());
  ASSIGN_OR_RETURN(etcd::pb::RangeResponse at, destination.Range(read_checkpoint));
  if (at.kvs_size() == 0) {
    return absl::FailedPreconditionError("no initial copy has completed yet (no checkpoint)");
  }
  ASSIGN_OR_RETURN(Checkpoint checkpoint, DecodeCheckpoint(at.kvs(0).value()));
  if (checkpoint.phase != Checkpoint::Phase::kLive) {
    return absl::FailedPreconditionError("the initial copy is still running");
  }
  CheckReport report;
  report.source_revision = checkpoint.revision;
  report.destination_revision = at.header().revision();
  PinnedCursor src(source, config, filter, report.source_revision, true);
  PinnedCursor dst(destination, config, filter, report.destination_revision, false);
  while (true) {
    RETURN_IF_ERROR(src.Fill());
    RETURN_IF_ERROR(dst.Fill());
    if (src.AtEnd() && dst.AtEnd()) break;
    const int order = src.AtEnd() ? 1 : dst.AtEnd() ? -1 : src.Key().compare(dst.Key());
    if (order < 0) {
      ++report.source_keys;
      ++report.missed;
      sink.Missed(src.Key());
      src.Advance();
    } else if (order > 0) {
      ++report.destination_keys;
      ++report.surplus;
      sink.Surplus(dst.Key());
      dst.Advance();
    } else {
      ++report.source_keys;
      ++report.destination_keys;
      if (src.Value() != dst.Value()) {
        ++report.stale;
        sink.Stale(src.Key());
      }
      src.Advance();
      dst.Advance();
    }
  }
  return report;
}

}  // namespace

absl::StatusOr<CheckReport> RunConsistencyCheck(etcd::Client& source, etcd::Client& destination,
                                                const SyncConfig& config, const KeyFilter& filter,
                                                CheckSink& sink) {
  const auto start = std::chrono::steady_clock::now();
  absl::Status last;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    sink.Reset();
    auto report = OnePass(source, destination, config, filter, sink);
    if (report.ok()) {
      report->seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      return report;
    }
    last = report.status();
    // The source compacted the applied revision while we read; take a newer point.
    if (!etcd::IsCompacted(last)) return last;
  }
  return last;
}

}  // namespace etcdsync
