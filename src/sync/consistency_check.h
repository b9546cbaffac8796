// Compares the synced scope of source and destination at one consistent point: the
// destination at its current revision D, and the source at the revision the destination's
// checkpoint says it has applied (R). Writes in flight are therefore never reported as
// differences. Streams results to a sink page by page, so memory stays flat.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "etcd/client.h"
#include "sync/key_filter.h"
#include "sync/sync_config.h"

namespace etcdsync {

class CheckSink {
 public:
  virtual ~CheckSink() = default;
  virtual void Missed(const std::string& key) = 0;   // on the source only
  virtual void Surplus(const std::string& key) = 0;  // on the destination only
  virtual void Stale(const std::string& key) = 0;    // on both, values differ
  // Forget what was reported: the pass is starting again (the source compacted mid-pass).
  virtual void Reset() {}
};

struct CheckReport {
  int64_t source_revision = 0;       // R: what the destination has applied
  int64_t destination_revision = 0;  // D
  int64_t source_keys = 0;
  int64_t destination_keys = 0;
  int64_t missed = 0;
  int64_t surplus = 0;
  int64_t stale = 0;
  double seconds = 0;
};

// FailedPrecondition while no initial copy has completed (no live checkpoint yet).
absl::StatusOr<CheckReport> RunConsistencyCheck(etcd::Client& source, etcd::Client& destination,
                                                const SyncConfig& config, const KeyFilter& filter,
                                                CheckSink& sink);

}  // namespace etcdsync
