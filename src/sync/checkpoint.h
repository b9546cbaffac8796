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
  // The source's history, which a restore from a snapshot rewinds even when the cluster ID
  // and member IDs stay the same (0: not recorded, an older checkpoint). The raft term never
  // goes back in one raft log; nor does the raft applied index minus the revision (every
  // applied entry raises the revision by at most one; a restore restarts the index near 0
  // while the revision resumes from the snapshot's), however far the restored source's
  // revision has since climbed.
  int64_t source_raft_term = 0;
  int64_t source_log_lead = 0;  // raft applied index - revision, measured at a (re)start

  bool operator==(const Checkpoint&) const = default;
};

std::string EncodeCheckpoint(const Checkpoint& checkpoint);
absl::StatusOr<Checkpoint> DecodeCheckpoint(std::string_view text);

// Reads the checkpoint at `key`; nullopt when there is none yet.
absl::StatusOr<std::optional<Checkpoint>> ReadCheckpoint(etcd::Client& destination,
                                                         const std::string& key);

}  // namespace etcdsync
