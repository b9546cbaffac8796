// A string that must never be printed: passwords, tokens, private keys.
// Formatting it (fmt/spdlog) yields "***"; the value is reachable only through Reveal().
#pragma once

#include <fmt/format.h>

#include <string>
#include <utility>

namespace common {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  const std::string& Reveal() const { return value_; }
  bool empty() const { return value_.empty(); }

 private:
  std::string value_;
};

}  // namespace common

template <>
struct fmt::formatter<common::Secret> : fmt::formatter<std::string_view> {
  template <typename Context>
  auto format(const common::Secret&, Context& ctx) const {
    return fmt::formatter<std::string_view>::format("***", ctx);
  }
};
