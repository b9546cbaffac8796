#include "monitor/pending_changes.h"

#include <algorithm>

#include "absl/hash/hash.h"

namespace monitor {

void PendingChanges::Record(std::string_view key, int64_t revision) {
  const uint64_t hash = absl::Hash<std::string_view>{}(key);
  newest_ = std::max(newest_, revision);
  auto found = latest_.find(hash);
  if (found == latest_.end()) {
    if (latest_.size() >= max_keys_) {
      overflow_ = revision;
      return;
    }
    latest_.emplace(hash, revision);
    order_.emplace(revision, hash);
  } else if (revision > found->second) {
    // One entry per key: a key changed over and over holds one place, not one per change.
    order_.erase({found->second, hash});
    order_.emplace(revision, hash);
    found->second = revision;
  }
}

void PendingChanges::Forget(int64_t applied_revision) {
  while (!order_.empty() && order_.begin()->first <= applied_revision) {
    latest_.erase(order_.begin()->second);
    order_.erase(order_.begin());
  }
  if (overflow_ > 0 && overflow_ <= applied_revision) overflow_ = 0;
  if (newest_ <= applied_revision) newest_ = 0;
}

void PendingChanges::Clear() {
  latest_.clear();
  order_.clear();
  overflow_ = 0;
  newest_ = 0;
}

size_t PendingChanges::ApproximateBytes() const {
  // flat_hash_map: one control byte and one slot per bucket; btree: its values, about
  // 1.25 x for the nodes' free room and headers.
  return latest_.capacity() * (sizeof(std::pair<uint64_t, int64_t>) + 1) +
         order_.size() * sizeof(std::pair<int64_t, uint64_t>) * 5 / 4;
}

}  // namespace monitor
