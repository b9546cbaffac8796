// `violet gc [--dry-run]`: deletes what PlanGc (gc_plan.h) names, on each cluster of
// --clusters (Artifacts) and on global (ModulePlugins/ModuleConfigs); prints the summary.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "platform/connection.h"
#include "violet/failure.h"

namespace violet {

struct GcRequest {
  platform::Connection connection;
  std::vector<std::string> clusters{"global"};
  std::string ns = "cpaas-system";
  bool dry_run = false;
};

// Deletions that fail are reported on `err` as they happen and the others go on; the
// outcome is then the first one's kind.
Outcome RunGc(const GcRequest& request, std::ostream& out, std::ostream& err);

}  // namespace violet
