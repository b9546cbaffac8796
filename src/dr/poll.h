// Waiting for a cluster condition within a step's time limit, polling at the context's pace;
// a timeout tells the operator that rerunning the same command keeps waiting.
#pragma once

#include <fmt/format.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dr/dr_context.h"

namespace dr {

inline absl::Status PollUntil(DrContext& context, const std::string& what,
                              const std::function<absl::StatusOr<bool>()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + context.options().step_timeout;
  while (true) {
    auto result = done();
    if (!result.ok()) return result.status();
    if (*result) return absl::OkStatus();
    if (std::chrono::steady_clock::now() >= deadline) {
      return absl::DeadlineExceededError(
          fmt::format("timed out after {}s waiting for {}; rerun the same command to keep waiting",
                      context.options().step_timeout.count(), what));
    }
    std::this_thread::sleep_for(context.options().poll);
  }
}

}  // namespace dr
