// The hook between "what changed on the source" and "what is written now": a policy may
// reorder or hold back mutations (e.g. owners before dependents). The default passes all.
#pragma once

#include <vector>

#include "sync/mutation.h"

namespace etcdsync {

class ApplyPolicy {
 public:
  virtual ~ApplyPolicy() = default;
  // Returns the mutations to write now, in the order to write them.
  virtual std::vector<Mutation> Admit(std::vector<Mutation> batch) = 0;
};

class PassThroughPolicy : public ApplyPolicy {
 public:
  std::vector<Mutation> Admit(std::vector<Mutation> batch) override { return batch; }
};

}  // namespace etcdsync
