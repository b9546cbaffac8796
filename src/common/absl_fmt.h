// Debian's Abseil has its own string_view type (not std::string_view); this teaches fmt and
// spdlog to print it, so status messages can go straight into log lines.
#pragma once

#include <fmt/format.h>

#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<std::string_view> {
  template <typename Context>
  auto format(absl::string_view text, Context& ctx) const {
    return fmt::formatter<std::string_view>::format(std::string_view(text.data(), text.size()),
                                                    ctx);
  }
};

namespace common {
inline std::string_view View(absl::string_view text) { return {text.data(), text.size()}; }
}  // namespace common
