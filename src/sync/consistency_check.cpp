#include "sync/consistency_check.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <future>
#include <memory>
#include <optional>

#include "common/status_macros.h"
#include "etcd/grpc_error.h"
#include "etcd/key_range.h"
#include "etcd/range_chunks.h"
#include "sync/checkpoint.h"

namespace etcdsync {
namespace {

constexpr int kAttempts = 3;

// One side of the merge: in-scope keys of one chunk [begin, end) at a pinned revision. The
// first page is read as soon as the cursor is made (chunks ahead of the merge read ahead).
class PinnedCursor {
 public:
  // `recorder` (may be null) sees every key read, in order, before the filter.
  PinnedCursor(etcd::Client& client, const SyncConfig& config, const KeyFilter& filter,
               int64_t revision, bool is_source, const etcd::KeyChunk& chunk, int page_keys,
               etcd::BoundaryRecorder* recorder = nullptr, etcd::PageSizer* sizer = nullptr,
               int split_keys = 0, etcd::ChunkSplits* cuts = nullptr)
      : config_(config),
        filter_(filter),
        is_source_(is_source),
        recorder_(recorder),
        pager_(std::make_unique<etcd::RangePager>(client, chunk.begin, chunk.end, revision,
                                                  page_keys, sizer, split_keys, cuts)) {
    first_ = std::async(std::launch::async, [pager = pager_.get()] { return pager->NextPage(); });
  }

  absl::Status Fill() {
    while (position_ >= page_.size() && (first_.valid() || !pager_->done())) {
      absl::StatusOr<etcd::pb::RangeResponse> response =
          first_.valid() ? first_.get() : pager_->NextPage();
      if (!response.ok()) return response.status();
      page_.clear();
      position_ = 0;
      for (auto& kv : *response->mutable_kvs()) {
        if (recorder_ != nullptr) recorder_->See(kv.key());
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
  const SyncConfig& config_;
  const KeyFilter& filter_;
  bool is_source_;
  etcd::BoundaryRecorder* recorder_;
  std::unique_ptr<etcd::RangePager> pager_;
  // Declared after pager_: destroyed (waited for) before it.
  std::future<absl::StatusOr<etcd::pb::RangeResponse>> first_;
  struct Entry {
    std::string key;
    std::string value;
    int64_t mod_revision = 0;
    bool included = true;  // KeyFilter::IncludesValue
  };
  std::vector<Entry> page_;
  size_t position_ = 0;
};

// Both sides of one chunk.
struct ChunkCursors {
  // Where both sides cut the chunk if it grew (found on the destination); declared first, so
  // the cursors that use it are destroyed before it.
  std::unique_ptr<etcd::ChunkSplits> cuts;
  std::unique_ptr<PinnedCursor> source;
  std::unique_ptr<PinnedCursor> destination;
};

absl::StatusOr<CheckReport> OnePass(etcd::Client& source, etcd::Client& destination,
                                    const SyncConfig& config, const KeyFilter& filter,
                                    CheckSink& sink, const CheckScan& scan, std::stop_token stop) {
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
  // Chunks are planned on the source (its keys at R are fixed); the destination reads the same
  // bounds, paging inside a chunk when it holds more there.
  const std::string range_end = etcd::PrefixRangeEnd(config.prefix);
  etcd::ChunkPlanner planner(source, config.prefix, range_end, report.source_revision,
                             etcd::ChunkPlan{scan.chunk_keys, scan.discovery_keys});
  // The source's keys are seen in order by the merge (front chunk only): they are the next
  // pass's boundaries.
  std::optional<etcd::BoundaryRecorder> recorder;
  if (scan.boundaries) {
    planner.UseBoundaries(scan.boundaries->Get(config.prefix, range_end, scan.chunk_keys));
    recorder.emplace(scan.chunk_keys);
  }
  // Shared by the source's cursors; declared before the window, which it outlives.
  std::optional<etcd::PageSizer> sizer;
  if (scan.source_page_bytes > 0) {
    sizer.emplace(scan.source_page_bytes, scan.page_keys, 16, scan.full_speed);
  }
  auto paced = [&] {
    return sizer.has_value() && (scan.full_speed == nullptr || !scan.full_speed->load());
  };
  std::deque<ChunkCursors> window;
  bool planned_all = false;
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
    // With chunks in the window it does not wait for a discovery call: the front chunk is
    // compared meanwhile.
    const size_t ahead = paced() ? 1 : static_cast<size_t>(std::max(1, scan.window));
    while (!planned_all && window.size() < ahead && (window.empty() || planner.NextIsReady())) {
      ASSIGN_OR_RETURN(std::optional<etcd::KeyChunk> chunk, planner.Next());
      if (!chunk) {
        planned_all = true;
        break;
      }
      ChunkCursors cursors;
      // A chunk that grew since it was planned is read in pieces of about chunk_keys keys on
      // both sides, cut where the destination (no link between) holds every chunk_keys-th key:
      // on etcd 3.4 each page otherwise walks the whole rest of the chunk, writes waiting.
      cursors.cuts = std::make_unique<etcd::ChunkSplits>(destination, chunk->begin, chunk->end,
                                                         report.destination_revision,
                                                         scan.chunk_keys, scan.discovery_keys);
      cursors.source = std::make_unique<PinnedCursor>(
          source, config, filter, report.source_revision, true, *chunk, scan.page_keys,
          recorder ? &*recorder : nullptr, paced() ? &*sizer : nullptr,
          // Paced pages are small: where the cuts leave many keys (the destination lacks them)
          // the source finds its own bounds, not one O(rest of chunk) walk per small page.
          paced() ? scan.chunk_keys : 0, cursors.cuts.get());
      cursors.destination = std::make_unique<PinnedCursor>(
          destination, config, filter, report.destination_revision, false, *chunk, scan.page_keys,
          nullptr, nullptr, 0, cursors.cuts.get());
      window.push_back(std::move(cursors));
    }
    if (window.empty()) break;
    PinnedCursor& src = *window.front().source;
    PinnedCursor& dst = *window.front().destination;
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
            RETURN_IF_ERROR(differ(KeyDifference::Kind::kStale, src.Key(), src.ModRevision(),
                                   dst.ModRevision()));
          }
        }
        src.Advance();
        dst.Advance();
      }
    }
    window.pop_front();
  }
  if (recorder) {
    scan.boundaries->Set(config.prefix, range_end, scan.chunk_keys, recorder->Take());
  }
  return report;
}

}  // namespace

CheckScan PacedCheckScan(int64_t page_bytes) {
  CheckScan scan;
  scan.source_page_bytes = std::max<int64_t>(0, page_bytes);
  return scan;
}

absl::StatusOr<CheckReport> RunConsistencyCheck(etcd::Client& source, etcd::Client& destination,
                                                const SyncConfig& config, const KeyFilter& filter,
                                                CheckSink& sink, std::stop_token stop) {
  return RunConsistencyCheck(source, destination, config, filter, sink, CheckScan{}, stop);
}

absl::StatusOr<CheckReport> RunConsistencyCheck(etcd::Client& source, etcd::Client& destination,
                                                const SyncConfig& config, const KeyFilter& filter,
                                                CheckSink& sink, const CheckScan& scan,
                                                std::stop_token stop) {
  const auto start = std::chrono::steady_clock::now();
  absl::Status last;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    sink.Reset();
    auto report = OnePass(source, destination, config, filter, sink, scan, stop);
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
