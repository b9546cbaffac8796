// A list of names in an operator's message, bounded so a cluster with thousands of objects
// still gives one readable line.
#pragma once

#include <string>
#include <vector>

namespace upgrade {

// "a, b, c" (at most `limit` names, then "and N more").
std::string JoinNames(const std::vector<std::string>& names, size_t limit = 10);

}  // namespace upgrade
