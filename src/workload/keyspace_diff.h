// Byte-exact comparison of the keys under a prefix in two etcd clusters (latest revision
// of each), in pages so memory stays flat. For tests, the quickstart and benchmarks; the
// operator-facing consistency check at one consistent point is the sync engine's.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "etcd/client.h"

namespace workload {

struct KeyspaceDiff {
  int64_t source_keys = 0;
  int64_t destination_keys = 0;
  std::vector<std::string> missing;    // on the source only
  std::vector<std::string> surplus;    // on the destination only
  std::vector<std::string> different;  // on both, values differ

  bool equal() const { return missing.empty() && surplus.empty() && different.empty(); }
  std::string Summary() const;
};

absl::StatusOr<KeyspaceDiff> DiffKeyspaces(etcd::Client& source, etcd::Client& destination,
                                           const std::string& prefix);

}  // namespace workload
