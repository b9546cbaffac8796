#include "sync/owner_index.h"

#include "absl/hash/hash.h"

namespace etcdsync {

uint64_t OwnerIndex::KeyHash(std::string_view key) { return absl::Hash<std::string_view>{}(key); }

bool OwnerIndex::Put(std::string_view key, uint64_t uid) {
  auto [slot, inserted] = uid_by_key_.try_emplace(KeyHash(key), uid);
  if (!inserted && slot->second != uid) {
    uids_.erase(slot->second);
    slot->second = uid;
  }
  return uids_.insert(uid).second;
}

void OwnerIndex::Delete(std::string_view key) {
  auto slot = uid_by_key_.find(KeyHash(key));
  if (slot == uid_by_key_.end()) return;
  uids_.erase(slot->second);
  uid_by_key_.erase(slot);
}

void OwnerIndex::Clear() {
  // Gives the memory back (clear() keeps the capacity).
  uid_by_key_ = {};
  uids_ = {};
}

size_t OwnerIndex::ApproximateBytes() const {
  return uid_by_key_.capacity() * (sizeof(std::pair<uint64_t, uint64_t>) + 1) +
         uids_.capacity() * (sizeof(uint64_t) + 1);
}

}  // namespace etcdsync
