// `violet gc [--dry-run]`: deletes what PlanGc (gc_plan.h) names, on each cluster of
// --clusters (Artifacts) and on global (ModulePlugins/ModuleConfigs); prints the summary.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "platform/connection.h"

namespace violet {

struct GcRequest {
  platform::Connection connection;
  std::vector<std::string> clusters{"global"};
  std::string ns = "cpaas-system";
  bool dry_run = false;
};

int RunGc(const GcRequest& request, std::ostream& out, std::ostream& err);

}  // namespace violet
