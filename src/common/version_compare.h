// Orders release versions as operators write them: "4.2.1", "v4.3.0", "4.3.0-rc.1",
// "v1.32.3-alauda.2". Numeric parts compare as numbers; a pre-release sorts before its release.
#pragma once

#include <string_view>

namespace common {

// <0, 0, >0 like strcmp. Text that is not a version compares as a plain string after them.
int CompareVersions(std::string_view a, std::string_view b);

}  // namespace common
