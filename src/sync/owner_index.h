// Which object UIDs the destination holds, remembered by key so that a deleted object's
// UID is dropped (a delete names only its key): memory follows the objects that exist, not
// every object ever seen. Keys and UIDs are kept as 64-bit hashes in two flat tables.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

namespace etcdsync {

class OwnerIndex {
 public:
  // `key` now holds the object `uid` (a hash); its previous UID, if any, is dropped.
  // Returns true when `uid` was not present before.
  bool Put(std::string_view key, uint64_t uid);
  // `key` is gone (or holds an object without a UID): its UID is dropped.
  void Delete(std::string_view key);
  bool Contains(uint64_t uid) const { return uids_.contains(uid); }
  size_t size() const { return uids_.size(); }
  void Clear();
  // Bytes of the two tables (slots and control bytes), for the figure in the README.
  size_t ApproximateBytes() const;

 private:
  static uint64_t KeyHash(std::string_view key);

  absl::flat_hash_map<uint64_t, uint64_t> uid_by_key_;
  // UIDs are unique per object; should two keys ever carry one, deleting either drops it,
  // and dependents then wait for the hold timeout at worst.
  absl::flat_hash_set<uint64_t> uids_;
};

}  // namespace etcdsync
