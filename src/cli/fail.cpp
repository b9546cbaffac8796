#include "cli/fail.h"

#include <chrono>
#include <iostream>

#include "common/absl_fmt.h"
#include "common/logging.h"
#include "common/untrusted_text.h"

namespace cli {
namespace {

std::string& Name() {
  static std::string name = "tool";
  return name;
}
std::string& Prefix() {
  static std::string prefix = "tool";
  return prefix;
}

}  // namespace

void SetToolName(std::string_view name, std::string_view fail_prefix) {
  Name() = std::string(name);
  Prefix() = std::string(fail_prefix.empty() ? name : fail_prefix);
}
const std::string& ToolName() { return Name(); }

std::string BoundedLine(std::string_view message) {
  // Messages quote untrusted text (names from a bundle, a registry's answers): keep the head
  // and the tail (where the hint for the operator is) of a long one.
  constexpr size_t kHead = 1536, kTail = 512;
  if (message.size() <= kHead + kTail) return common::Clip(message, kHead + kTail);
  return common::Clip(message.substr(0, kHead), kHead) + " [... " +
         std::to_string(message.size() - kHead - kTail) + " bytes ...] " +
         common::Clip(message.substr(message.size() - kTail), kTail);
}

int Fail(int code, std::string_view line) {
  if (common::CurrentLogFormat() == common::LogFormat::kJson) {
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    std::cerr << common::JsonLogLine(now, "error", ToolName(), BoundedLine(line)) << "\n";
  } else {
    std::cerr << Prefix() << ": " << BoundedLine(line) << "\n";
  }
  std::cerr.flush();
  return code;
}

int Fail(int code, const absl::Status& status) {
  return Fail(code, common::View(status.message()));
}

}  // namespace cli
