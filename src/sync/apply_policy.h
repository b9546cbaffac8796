// The hook between "what changed on the source" and "what is written now": a policy may
// reorder or hold back mutations (e.g. owners before dependents), and may add mutations of
// its own state (under the state prefix) that are written in the same Txn. The default
// passes everything through.
#pragma once

#include <vector>

#include "absl/status/status.h"
#include "etcd/client.h"
#include "sync/mutation.h"

namespace etcdsync {

class ApplyPolicy {
 public:
  virtual ~ApplyPolicy() = default;
  // A replica starts leading: (re)load whatever the policy keeps in the destination.
  virtual absl::Status Prepare(etcd::Client& /*destination*/) { return absl::OkStatus(); }
  // Returns the mutations to write now, in order; each stamped with a revision of the batch.
  virtual std::vector<Mutation> Admit(std::vector<Mutation> batch) = 0;
  // About once a second while live: mutations that became due, stamped `revision`.
  virtual std::vector<Mutation> Tick(int64_t /*revision*/) { return {}; }
  // Bracket a full sync; the end may retire state about keys the source no longer has.
  virtual void BeginFullSync() {}
  virtual std::vector<Mutation> EndFullSync() { return {}; }
};

class PassThroughPolicy : public ApplyPolicy {
 public:
  std::vector<Mutation> Admit(std::vector<Mutation> batch) override { return batch; }
};

}  // namespace etcdsync
