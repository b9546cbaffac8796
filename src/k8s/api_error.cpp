#include "k8s/api_error.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace k8s {
namespace {

absl::StatusCode CodeFor(long http_status, const std::string& reason) {
  switch (http_status) {
    case 400:
    case 422:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 409:
      return reason == "AlreadyExists" ? absl::StatusCode::kAlreadyExists
                                       : absl::StatusCode::kAborted;
    case 429:
      return absl::StatusCode::kResourceExhausted;
    default:
      return http_status >= 500 ? absl::StatusCode::kUnavailable : absl::StatusCode::kUnknown;
  }
}

}  // namespace

absl::Status ApiError(long http_status, const std::string& body, const std::string& what) {
  std::string message;
  std::string reason;
  const nlohmann::json status = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (status.is_object() && status.value("kind", "") == "Status") {
    message = status.value("message", "");
    reason = status.value("reason", "");
  }
  if (message.empty()) {
    message = body.substr(0, 200);
    const size_t newline = message.find('\n');
    if (newline != std::string::npos) message.resize(newline);
  }
  if (message.empty()) message = "(no message)";
  const std::string code =
      reason.empty() ? std::to_string(http_status) : fmt::format("{} {}", http_status, reason);
  return absl::Status(CodeFor(http_status, reason),
                      fmt::format("{}: the server said: {} ({})", what, message, code));
}

}  // namespace k8s
