#include "workload/keyspace_diff.h"

#include <fmt/format.h>

#include "common/status_macros.h"
#include "etcd/key_range.h"

namespace workload {
namespace {

// Walks one side's range page by page.
class Cursor {
 public:
  Cursor(etcd::Client& client, const std::string& prefix)
      : client_(client), next_(prefix), end_(etcd::PrefixRangeEnd(prefix)) {}

  // Makes sure a current element exists unless the range is exhausted.
  absl::Status Fill() {
    if (position_ < page_.size() || done_) return absl::OkStatus();
    etcd::pb::RangeRequest request;
    request.set_key(next_);
    request.set_range_end(end_);
    request.set_limit(2000);
    ASSIGN_OR_RETURN(etcd::pb::RangeResponse response, client_.Range(request));
    page_.clear();
    position_ = 0;
    for (auto& kv : *response.mutable_kvs()) {
      page_.emplace_back(std::move(*kv.mutable_key()), std::move(*kv.mutable_value()));
    }
    if (!response.more() || page_.empty()) {
      done_ = true;
    } else {
      next_ = etcd::KeySuccessor(page_.back().first);
    }
    return absl::OkStatus();
  }
  bool AtEnd() const { return position_ >= page_.size(); }
  const std::pair<std::string, std::string>& Current() const { return page_[position_]; }
  void Advance() { ++position_; }

 private:
  etcd::Client& client_;
  std::string next_;
  std::string end_;
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
