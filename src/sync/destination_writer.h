// Sends fenced Txns to the destination: one at a time (live replication, where order is
// everything) or several in flight from a bounded queue (the initial copy, where key
// ranges are disjoint and throughput is everything).
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "etcd/client.h"
#include "sync/sync_stats.h"

namespace etcdsync {

// Aborted with this text when the fence compare failed: another replica leads now.
absl::Status FenceLostError(std::string_view detail);
bool IsFenceLost(const absl::Status& status);

// Makes a replayed Txn harmless and detectable. The etcd client re-sends a Txn after
// UNAVAILABLE or DEADLINE_EXCEEDED even when the first attempt committed and only its answer
// was lost; the replay would apply the same changes twice (versions bumped on the standby).
// Every serial Txn of a leader term that moves the checkpoint therefore also compares the
// checkpoint's mod revision with the one this term last wrote: its replay fails that compare,
// and ApplyTxn reads (in the same Txn) what the compare saw: the leader key still ours and
// the checkpoint holding this Txn's value means the first attempt was applied.
// Not thread-safe: one per leader term, used by its serial writers only (the parallel copy's
// data-only Txns do not use it).
class CheckpointChain {
 public:
  explicit CheckpointChain(std::string checkpoint_key) : key_(std::move(checkpoint_key)) {}

  // Reads the checkpoint key's mod revision (0: no checkpoint). Call after each (re)start of
  // replication under the fence, before the first write.
  absl::Status Load(etcd::Client& destination);

  bool loaded() const { return mod_revision_ >= 0; }
  const std::string& key() const { return key_; }
  int64_t mod_revision() const { return mod_revision_; }
  void Advance(int64_t mod_revision) { mod_revision_ = mod_revision; }
  // Txns whose replay was detected (their first attempt had committed): applied once.
  int64_t replays_detected() const { return replays_detected_; }
  void CountReplay() { ++replays_detected_; }

 private:
  std::string key_;
  int64_t mod_revision_ = -1;  // unknown until Load
  int64_t replays_detected_ = 0;
};

// What ApplyTxn does when the destination refuses a Txn as too large (its
// --max-request-bytes is below what etcd-sync was told, or one value plus the fence and the
// checkpoint is over the limit while the value alone, as the source wrote it, was not).
struct OversizeHandling {
  // A put to this key (the checkpoint) stays in the last part of a split Txn, so the
  // checkpoint never moves ahead of the data it describes.
  std::string checkpoint_key;
  // Counts the values no Txn can carry (SyncStats::unwritable_values); may be null.
  SyncStats* stats = nullptr;
  // When set (and loaded), every Txn that moves the checkpoint (the last part of a split one
  // too) is chained on it, see CheckpointChain. A data-only Txn (a part of a split one, a
  // value near the size limit) goes unchained: its replay writes the same values again.
  CheckpointChain* chain = nullptr;
};

// Applies `txn` (fenced). A Txn the destination refuses as too large is split: its data
// operations in halves, the checkpoint put in the last part, and the parts applied in order
// (re-applying a part after a crash writes the same values again: idempotent). A part that
// is a single put and still too large cannot be written at all: it is logged as an error,
// counted, and skipped, so that replication of every other key goes on (/check then lists
// the key as missed or stale). Never loops: every split makes the parts strictly smaller.
// With `oversize.chain`: a replay of a Txn already applied is detected and not applied again.
absl::Status ApplyTxn(etcd::Client& destination, const etcd::pb::TxnRequest& txn,
                      const OversizeHandling& oversize = {});

// The parts ApplyTxn tries when `txn` is too large; empty when it cannot be split (a single
// operation, or nothing but the checkpoint). Pure; exposed for tests.
std::vector<etcd::pb::TxnRequest> SplitTxn(const etcd::pb::TxnRequest& txn,
                                           std::string_view checkpoint_key);

class ParallelApplier {
 public:
  ParallelApplier(etcd::Client& destination, int parallelism, OversizeHandling oversize = {});
  ~ParallelApplier();

  // Blocks while the queue is full. Returns the first failure so far, if any.
  absl::Status Submit(etcd::pb::TxnRequest txn);
  // Waits for every submitted Txn; returns the first failure.
  absl::Status Finish();

 private:
  void Work(std::stop_token stop);

  etcd::Client& destination_;
  const OversizeHandling oversize_;
  const size_t capacity_;
  std::mutex mutex_;
  std::condition_variable_any changed_;
  std::deque<etcd::pb::TxnRequest> queue_;
  size_t busy_ = 0;
  absl::Status first_error_;
  std::vector<std::jthread> workers_;
};

}  // namespace etcdsync
