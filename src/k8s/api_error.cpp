#include "k8s/api_error.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <string_view>

#include "common/bounded_parse.h"
#include "common/untrusted_text.h"

namespace k8s {
namespace {

// A Status object is flat (details.causes is three levels down); a server message is quoted
// up to this much.
constexpr int kMaxStatusJsonDepth = 16;
constexpr size_t kMaxQuotedBytes = 1024;

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
  // The body is bounded by the read (RestClient); an unparsable or too deep one is quoted as
  // text, its first line, clipped.
  const nlohmann::json status =
      common::ParseJsonBounded(body, body.size(), kMaxStatusJsonDepth, "answer")
          .value_or(nlohmann::json());
  const auto text = [&](const char* key) {
    return status.contains(key) && status[key].is_string() ? status[key].get<std::string>()
                                                           : std::string();
  };
  if (status.is_object() && text("kind") == "Status") {
    message = common::Clip(text("message"), kMaxQuotedBytes);
    reason = common::Clip(text("reason"), 64);
  }
  if (message.empty()) {
    message = common::Clip(std::string_view(body).substr(0, body.find('\n')), 200);
  }
  if (message.empty()) message = "(no message)";
  const std::string code =
      reason.empty() ? std::to_string(http_status) : fmt::format("{} {}", http_status, reason);
  return absl::Status(CodeFor(http_status, reason),
                      fmt::format("{}: the server said: {} ({})", what, message, code));
}

}  // namespace k8s
