#include "workload/keyspace_diff.h"

#include <fmt/format.h>

#include <optional>

#include "common/status_macros.h"
#include "etcd/key_range.h"
#include "etcd/range_chunks.h"

namespace workload {
namespace {

// Walks one side's range page by page, inside chunks found by keys-only discovery: on etcd 3.4
// a limited Range walks the whole rest of its range, so paging [prefix, end) directly costs
// O(n^2 / page) (about 25 min per side at 3M keys); inside a chunk a page costs O(chunk).
// Pages are read at the newest revision, as before; the chunks only tile the range.
class Cursor {
 public:
  Cursor(etcd::Client& client, const std::string& prefix)
      : client_(client),
        planner_(client, prefix, etcd::PrefixRangeEnd(prefix), /*revision=*/0,
                 etcd::ChunkPlan{kPageKeys, kPageKeys * 50}) {}

  // Makes sure a current element exists unless the range is exhausted.
  absl::Status Fill() {
    while (position_ >= page_.size() && !done_) {
      if (!pager_ || pager_->done()) {
        ASSIGN_OR_RETURN(std::optional<etcd::KeyChunk> chunk, planner_.Next());
        if (!chunk) {
          done_ = true;
          break;
        }
        pager_.emplace(client_, std::move(chunk->begin), std::move(chunk->end), /*revision=*/0,
                       kPageKeys);
      }
      ASSIGN_OR_RETURN(etcd::pb::RangeResponse response, pager_->NextPage());
      page_.clear();
      position_ = 0;
      for (auto& kv : *response.mutable_kvs()) {
        page_.emplace_back(std::move(*kv.mutable_key()), std::move(*kv.mutable_value()));
      }
    }
    return absl::OkStatus();
  }
  bool AtEnd() const { return position_ >= page_.size(); }
  const std::pair<std::string, std::string>& Current() const { return page_[position_]; }
  void Advance() { ++position_; }

 private:
  static constexpr int kPageKeys = 2000;

  etcd::Client& client_;
  etcd::ChunkPlanner planner_;
  std::optional<etcd::RangePager> pager_;
  std::vector<std::pair<std::string, std::string>> page_;
  size_t position_ = 0;
  bool done_ = false;
};

}  // namespace

std::string KeyspaceDiff::Summary() const {
  return fmt::format("source {} keys, destination {} keys: {} missed, {} surplus, {} different",
                     source_keys, destination_keys, missing.size(), surplus.size(),
                     different.size());
}

absl::StatusOr<KeyspaceDiff> DiffKeyspaces(etcd::Client& source, etcd::Client& destination,
                                           const std::string& prefix) {
  KeyspaceDiff diff;
  Cursor src(source, prefix);
  Cursor dst(destination, prefix);
  while (true) {
    RETURN_IF_ERROR(src.Fill());
    RETURN_IF_ERROR(dst.Fill());
    if (src.AtEnd() && dst.AtEnd()) break;
    const int order = src.AtEnd()   ? 1
                      : dst.AtEnd() ? -1
                                    : src.Current().first.compare(dst.Current().first);
    if (order < 0) {
      diff.missing.push_back(src.Current().first);
      ++diff.source_keys;
      src.Advance();
    } else if (order > 0) {
      diff.surplus.push_back(dst.Current().first);
      ++diff.destination_keys;
      dst.Advance();
    } else {
      if (src.Current().second != dst.Current().second) {
        diff.different.push_back(src.Current().first);
      }
      ++diff.source_keys;
      ++diff.destination_keys;
      src.Advance();
      dst.Advance();
    }
  }
  return diff;
}

}  // namespace workload
