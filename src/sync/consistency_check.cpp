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
        Entry entry;
        entry.included = filter_.IncludesValue(kv.key(), kv.value());
        entry.mod_revision = kv.mod_revision();
        entry.key = std::move(*kv.mutable_key());
        entry.value = std::move(*kv.mutable_value());
        page_.push_back(std::move(entry));
      }
    }
    return absl::OkStatus();
  }
  bool AtEnd() const { return position_ >= page_.size(); }
  const std::string& Key() const { return page_[position_].key; }
  const std::string& Value() const { return page_[position_].value; }
  int64_t ModRevision() const { return page_[position_].mod_revision; }
  bool ValueIncluded() const { return page_[position_].included; }
  void Advance() { ++position_; }

 private:
  etcd::Client& client_;
  const SyncConfig& config_;
  const KeyFilter& filter_;
  int64_t revision_;
  bool is_source_;
  std::string next_;
  std::string end_;
  struct Entry {
    std::string key;
    std::string value;
    int64_t mod_revision = 0;
    bool included = true;  // KeyFilter::IncludesValue
  };
  std::vector<Entry> page_;
  size_t position_ = 0;
  bool done_ = false;
};

absl::StatusOr<CheckReport> OnePass(etcd::Client& source, etcd::Client& destination,
                                    const SyncConfig& config, const KeyFilter& filter,
                                    CheckSink& sink, std::stop_token stop) {
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
  auto differ = [&](KeyDifference::Kind kind, const std::string& key, int64_t source_mod,
                    int64_t destination_mod) {
    switch (kind) {
      case KeyDifference::Kind::kMissed:
        ++report.missed;
        sink.Missed(key);
        break;
      case KeyDifference::Kind::kSurplus:
        ++report.surplus;
        sink.Surplus(key);
        break;
      case KeyDifference::Kind::kStale:
        ++report.stale;
        sink.Stale(key);
        break;
    }
    sink.Difference(KeyDifference{kind, key, source_mod, destination_mod});
    return sink.Failure();
  };
  while (true) {
    if (stop.stop_requested()) return absl::CancelledError("the check was stopped");
    RETURN_IF_ERROR(src.Fill());
    RETURN_IF_ERROR(dst.Fill());
    if (src.AtEnd() && dst.AtEnd()) break;
    const int order = src.AtEnd() ? 1 : dst.AtEnd() ? -1 : src.Key().compare(dst.Key());
    if (order < 0) {
      if (src.ValueIncluded()) {
        ++report.source_keys;
        RETURN_IF_ERROR(differ(KeyDifference::Kind::kMissed, src.Key(), src.ModRevision(), 0));
      }
      src.Advance();
    } else if (order > 0) {
      if (dst.ValueIncluded()) {
        ++report.destination_keys;
        RETURN_IF_ERROR(differ(KeyDifference::Kind::kSurplus, dst.Key(), 0, dst.ModRevision()));
      }
      dst.Advance();
    } else {
      if (ComparesPair(src.ValueIncluded(), dst.ValueIncluded())) {
        ++report.source_keys;
        ++report.destination_keys;
        if (src.Value() != dst.Value()) {
          RETURN_IF_ERROR(
              differ(KeyDifference::Kind::kStale, src.Key(), src.ModRevision(), dst.ModRevision()));
        }
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
                                                CheckSink& sink, std::stop_token stop) {
  const auto start = std::chrono::steady_clock::now();
  absl::Status last;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    sink.Reset();
    auto report = OnePass(source, destination, config, filter, sink, stop);
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
