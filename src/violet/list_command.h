// `violet list`: the Aligned/Agnostic extensions installed on the platform's clusters, as
// the §9.4 apps.yaml the Customer Portal imports; printed and written to a file.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "platform/connection.h"
#include "violet/failure.h"

namespace violet {

struct ListRequest {
  platform::Connection connection;
  std::vector<std::string> clusters;  // empty: all
  std::string output_file = "apps.yaml";
};

// Prints apps.yaml to `out` and writes it to output_file (a note on `err`).
Outcome RunList(const ListRequest& request, std::ostream& out, std::ostream& err);

}  // namespace violet
