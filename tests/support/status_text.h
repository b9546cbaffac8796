// The message of a status as a std::string, for EXPECT_THAT(..., HasSubstr(...)) in tests.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace testing_support {

inline std::string Message(const absl::Status& status) { return std::string(status.message()); }

}  // namespace testing_support
