// Compares the synced scope of source and destination at one consistent point: the
// destination at its current revision D, and the source at the revision the destination's
// checkpoint says it has applied (R). Writes in flight are therefore never reported as
// differences. Streams results to a sink page by page, so memory stays flat.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <stop_token>
#include <string>

#include "absl/status/statusor.h"
#include "etcd/client.h"
#include "etcd/range_chunks.h"
#include "sync/key_filter.h"
#include "sync/sync_config.h"

namespace etcdsync {

// One difference with what a repair needs: the key's mod revisions as the check read them.
struct KeyDifference {
  enum class Kind { kMissed, kSurplus, kStale };
  Kind kind = Kind::kMissed;
  std::string key;
  int64_t source_mod_revision = 0;       // at the check's source revision; 0 when surplus
  int64_t destination_mod_revision = 0;  // at its destination revision; 0 when missed
};

class CheckSink {
 public:
  virtual ~CheckSink() = default;
  virtual void Missed(const std::string& key) = 0;   // on the source only
  virtual void Surplus(const std::string& key) = 0;  // on the destination only
  virtual void Stale(const std::string& key) = 0;    // on both, values differ
  // Each difference again, after the call above, with its revisions (the reconcile pass
  // repairs from here). Default: nothing.
  virtual void Difference(const KeyDifference& /*difference*/) {}
  // Non-OK ends the check with this status (checked after each difference).
  virtual absl::Status Failure() const { return absl::OkStatus(); }
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

// Whether a key both sides hold is compared: not when either side's value is excluded by
// the filter's value rule (e.g. a Pod bound to a node on either side is cluster-local).
// A key one side holds is compared only when that value is included.
inline bool ComparesPair(bool source_value_included, bool destination_value_included) {
  return source_value_included && destination_value_included;
}

// How the check reads: the source's range is split into chunks of at most `chunk_keys` keys
// found by keys-only calls of `discovery_keys` (etcd 3.4 walks the whole rest of the range on
// every limited Range; bounded chunks keep the whole scan O(keys)); `window` chunks of both
// sides are read ahead of the merge; a side holding more than `page_keys` keys in one chunk
// is paged inside it. Memory: about window x 2 x chunk_keys values.
// With `boundaries`, a pass plans its chunks from the boundaries the last complete pass left
// there (no discovery calls, which on etcd 3.4 cost the source as much as the pass itself)
// and leaves its own for the next; the first pass, or one after a change of prefix or
// chunk_keys, discovers. Results do not depend on it: any boundaries tile the range.
// Pacing, for a scan that shares a WAN link with live replication's watch: with
// `source_page_bytes` > 0 the scan reads one chunk at a time and the source's pages are sized to
// about that many bytes (keys and values, from the mean of the pages read so far; at most
// `page_keys`), so the link never holds more than about that much of the check ahead of a
// live change. `full_speed` (may be null; must outlive the scan) turning true mid-scan drops
// the pacing from the next page on (a GET /check joined the periodic check). The destination
// is never paced.
struct CheckScan {
  int chunk_keys = 5000;
  int discovery_keys = 100000;
  int page_keys = 10000;
  int window = 4;
  std::shared_ptr<etcd::ChunkBoundaries> boundaries;
  int64_t source_page_bytes = 0;
  const std::atomic<bool>* full_speed = nullptr;
};

// The scan of the periodic check, which runs beside live replication: the default chunks (so it
// plans from the boundaries earlier passes left) paced to source pages of about `page_bytes`
// (0: not paced, as fast as GET /check).
CheckScan PacedCheckScan(int64_t page_bytes);

// FailedPrecondition while no initial copy has completed (no live checkpoint yet);
// Cancelled when `stop` fires (checked between keys).
absl::StatusOr<CheckReport> RunConsistencyCheck(etcd::Client& source, etcd::Client& destination,
                                                const SyncConfig& config, const KeyFilter& filter,
                                                CheckSink& sink, std::stop_token stop = {});
absl::StatusOr<CheckReport> RunConsistencyCheck(etcd::Client& source, etcd::Client& destination,
                                                const SyncConfig& config, const KeyFilter& filter,
                                                CheckSink& sink, const CheckScan& scan,
                                                std::stop_token stop = {});

}  // namespace etcdsync
