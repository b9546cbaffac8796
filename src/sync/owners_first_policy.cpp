#include "sync/owners_first_policy.h"

#include <spdlog/spdlog.h>

#include "common/absl_fmt.h"
#include "common/status_macros.h"
#include "etcd/key_range.h"
#include "k8s/object_meta.h"

namespace etcdsync {
namespace {

// Visits every key/value in [from, to) of `client`, page by page.
template <typename Visit>
absl::Status ScanRange(etcd::Client& client, const std::string& from, const std::string& to,
                       Visit visit) {
  etcd::pb::RangeRequest request;
  request.set_key(from);
  request.set_range_end(to);
  request.set_limit(2000);
  while (true) {
    ASSIGN_OR_RETURN(etcd::pb::RangeResponse response, client.Range(request));
    for (const auto& kv : response.kvs()) visit(kv);
    if (!response.more() || response.kvs_size() == 0) return absl::OkStatus();
    request.set_key(etcd::KeySuccessor(response.kvs(response.kvs_size() - 1).key()));
  }
}

}  // namespace

OwnersFirstPolicy::OwnersFirstPolicy(std::string prefix, std::string state_prefix,
                                     const KeyFilter& filter, std::chrono::seconds hold_timeout,
                                     TxnLimits limits, SyncStats& stats,
                                     std::function<Clock::time_point()> now)
    : prefix_(std::move(prefix)),
      held_prefix_(std::move(state_prefix) + "held/"),
      filter_(filter),
      hold_timeout_(hold_timeout),
      limits_(limits),
      stats_(stats),
      now_(std::move(now)) {}

absl::Status OwnersFirstPolicy::Prepare(etcd::Client& destination) {
  present_.Clear();
  held_.clear();
  waiting_.clear();
  RETURN_IF_ERROR(ScanRange(destination, prefix_, etcd::PrefixRangeEnd(prefix_),
                            [&](const mvccpb::KeyValue& kv) {
                              if (!filter_.Includes(kv.key())) return;
                              k8s::ObjectMeta meta = k8s::ReadObjectMeta(kv.value());
                              if (!meta.uid.empty()) present_.Put(kv.key(), Hash(meta.uid));
                            }));
  std::vector<Mutation> unused;
  RETURN_IF_ERROR(ScanRange(destination, held_prefix_, etcd::PrefixRangeEnd(held_prefix_),
                            [&](const mvccpb::KeyValue& kv) {
                              Mutation put;
                              put.key = kv.key().substr(held_prefix_.size());
                              put.value = kv.value();
                              k8s::ObjectMeta meta = k8s::ReadObjectMeta(put.value);
                              std::vector<uint64_t> owners;
                              for (const auto& uid : meta.owner_uids) owners.push_back(Hash(uid));
                              Held entry{std::move(put), std::move(owners), now_()};
                              for (uint64_t owner : entry.owners) {
                                waiting_.emplace(owner, entry.put.key);
                              }
                              held_.emplace(entry.put.key, std::move(entry));
                            }));
  if (!held_.empty()) {
    spdlog::info("{} objects are held back waiting for their owners (from a previous run)",
                 held_.size());
  }
  Publish();
  return absl::OkStatus();
}

bool OwnersFirstPolicy::OwnersPresent(const std::vector<uint64_t>& owners) const {
  for (uint64_t owner : owners) {
    if (!present_.Contains(owner)) return false;
  }
  return true;
}

Mutation OwnersFirstPolicy::StateDelete(const std::string& key, int64_t revision) const {
  Mutation remove;
  remove.kind = Mutation::Kind::kDelete;
  remove.key = held_prefix_ + key;
  remove.revision = revision;
  return remove;
}

void OwnersFirstPolicy::Forget(const std::string& key, int64_t revision,
                               std::vector<Mutation>& out) {
  auto it = held_.find(key);
  if (it == held_.end()) return;
  for (uint64_t owner : it->second.owners) {
    auto [begin, end] = waiting_.equal_range(owner);
    for (auto w = begin; w != end; ++w) {
      if (w->second == key) {
        waiting_.erase(w);
        break;
      }
    }
  }
  held_.erase(it);
  out.push_back(StateDelete(key, revision));
}

void OwnersFirstPolicy::Hold(Mutation put, std::vector<uint64_t> owners,
                             std::vector<Mutation>& out) {
  const auto previous = held_.find(put.key);
  const Clock::time_point since = previous != held_.end() ? previous->second.since : now_();
  if (previous != held_.end()) {
    std::vector<Mutation> ignored;
    Forget(put.key, put.revision, ignored);
  }
  Mutation state = put;
  state.key = held_prefix_ + put.key;
  out.push_back(std::move(state));
  spdlog::debug("holding {} until its owners are on the destination", put.key);
  for (uint64_t owner : owners) waiting_.emplace(owner, put.key);
  const std::string key = put.key;
  if (in_full_sync_) seen_in_full_sync_.insert(key);
  held_.emplace(key, Held{std::move(put), std::move(owners), since});
}

void OwnersFirstPolicy::Release(Mutation put, const std::string& uid, int64_t revision,
                                std::vector<Mutation>& out) {
  std::vector<uint64_t> newly_present;
  auto landed = [this, &newly_present](const Mutation& written, const std::string& written_uid) {
    if (written_uid.empty()) {
      present_.Delete(written.key);
    } else if (present_.Put(written.key, Hash(written_uid))) {
      newly_present.push_back(Hash(written_uid));
    }
  };
  landed(put, uid);
  put.revision = revision;
  out.push_back(std::move(put));
  // Dependents that were waiting for what just landed (breadth first, no recursion depth).
  while (!newly_present.empty()) {
    const uint64_t uid = newly_present.back();
    newly_present.pop_back();
    std::vector<std::string> ready;
    auto [begin, end] = waiting_.equal_range(uid);
    for (auto w = begin; w != end; ++w) {
      auto entry = held_.find(w->second);
      if (entry != held_.end() && OwnersPresent(entry->second.owners)) ready.push_back(w->second);
    }
    for (const std::string& key : ready) {
      auto entry = held_.find(key);
      if (entry == held_.end()) continue;
      Mutation released = entry->second.put;
      released.revision = revision;
      Forget(key, revision, out);
      landed(released, k8s::ReadObjectMeta(released.value).uid);
      out.push_back(std::move(released));
    }
  }
}

std::vector<Mutation> OwnersFirstPolicy::Admit(std::vector<Mutation> batch) {
  std::vector<Mutation> out;
  out.reserve(batch.size());
  for (Mutation& mutation : batch) {
    if (mutation.kind == Mutation::Kind::kDelete) {
      // A deleted owner no longer counts as present, and its UID no longer takes memory.
      present_.Delete(mutation.key);
      Forget(mutation.key, mutation.revision, out);
      out.push_back(std::move(mutation));
      continue;
    }
    // Only held keys matter to EndFullSync: remembering every key cost ~100 B per key.
    if (in_full_sync_ && held_.contains(mutation.key)) seen_in_full_sync_.insert(mutation.key);
    k8s::ObjectMeta meta = k8s::ReadObjectMeta(mutation.value);
    std::vector<uint64_t> missing;
    for (const auto& uid : meta.owner_uids) {
      if (!present_.Contains(Hash(uid))) missing.push_back(Hash(uid));
    }
    if (!missing.empty()) {
      Mutation held_copy;
      held_copy.key = HeldKey(mutation.key);
      held_copy.value = mutation.value;
      if (!FitsBesideCheckpoint(held_copy, limits_)) {
        spdlog::warn("writing {} ({} bytes) without waiting for its owners: too large to hold",
                     mutation.key.substr(0, 200), mutation.value.size());
        ++stats_.too_large_to_hold;
        missing.clear();
      }
    }
    if (missing.empty()) {
      Forget(mutation.key, mutation.revision, out);
      const int64_t revision = mutation.revision;
      Release(std::move(mutation), meta.uid, revision, out);
    } else {
      std::vector<uint64_t> owners;
      for (const auto& uid : meta.owner_uids) owners.push_back(Hash(uid));
      Hold(std::move(mutation), std::move(owners), out);
    }
  }
  Publish();
  return out;
}

std::vector<Mutation> OwnersFirstPolicy::Tick(int64_t revision) {
  std::vector<Mutation> out;
  const Clock::time_point now = now_();
  std::vector<std::string> due;
  for (const auto& [key, entry] : held_) {
    if (OwnersPresent(entry.owners) || now - entry.since >= hold_timeout_) due.push_back(key);
  }
  for (const std::string& key : due) {
    auto entry = held_.find(key);
    if (entry == held_.end()) continue;  // released as a dependent of an earlier one
    Mutation put = entry->second.put;
    if (!OwnersPresent(entry->second.owners)) {
      spdlog::warn(
          "releasing {} after {}s: its owners never reached the destination (the "
          "standby's garbage collector may delete it; /check will then list it)",
          key, hold_timeout_.count());
      ++stats_.held_released_on_timeout;
    }
    Forget(key, revision, out);
    const std::string uid = k8s::ReadObjectMeta(put.value).uid;
    Release(std::move(put), uid, revision, out);
  }
  Publish();
  return out;
}

void OwnersFirstPolicy::BeginFullSync() {
  in_full_sync_ = true;
  seen_in_full_sync_.clear();
}

std::vector<Mutation> OwnersFirstPolicy::EndFullSync() {
  in_full_sync_ = false;
  std::vector<Mutation> out;
  std::vector<std::string> gone;
  for (const auto& [key, entry] : held_) {
    if (!seen_in_full_sync_.contains(key)) gone.push_back(key);
  }
  for (const std::string& key : gone) Forget(key, 0, out);
  seen_in_full_sync_.clear();
  Publish();
  return out;
}

void OwnersFirstPolicy::Publish() { stats_.held_objects = static_cast<int64_t>(held_.size()); }

}  // namespace etcdsync
