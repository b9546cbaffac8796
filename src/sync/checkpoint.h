// The engine's resume point, stored in the destination etcd and written in the same Txn as
// the data it describes, so that data and position can never disagree after a crash.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "etcd/client.h"

namespace etcdsync {

struct Checkpoint {
  enum class Phase { kCopying, kLive };
  Phase phase = Phase::kCopying;
  // kLive: every source change up to and including this revision is applied.
  // kCopying: the revision the running copy is pinned to.
  int64_t revision = 0;
  std::string source_cluster_id;  // hex; a different source means start over
  std::string prefix;             // a different scope means start over

  bool operator==(const Checkpoint&) const = default;
};

std::string EncodeCheckpoint(const Checkpoint& checkpoint);
absl::StatusOr<Checkpoint> DecodeCheckpoint(std::string_view text);

// Reads the checkpoint at `key`; nullopt when there is none yet.
absl::StatusOr<std::optional<Checkpoint>> ReadCheckpoint(etcd::Client& destination,
                                                         const std::string& key);

}  // namespace etcdsync
