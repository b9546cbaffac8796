// TEST STAND-IN for kube-apiserver: the `kind: Status` failure bodies the real API server
// returns (status, message, reason, code, details), with its wording for common cases.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace apiserver {

struct ApiFailure {
  int code = 500;
  std::string reason;  // "NotFound", "AlreadyExists", "Conflict", ...
  std::string message;
  nlohmann::json details = nlohmann::json::object();
};

nlohmann::json StatusBody(const ApiFailure& failure);

// kube-apiserver's messages: `widgets.example.com "w1" not found`, ...
ApiFailure NotFound(const std::string& group_resource, const std::string& name);
ApiFailure AlreadyExists(const std::string& group_resource, const std::string& name);
ApiFailure Conflict(const std::string& group_resource, const std::string& name);
ApiFailure BadRequest(const std::string& message);
ApiFailure Unauthorized();

}  // namespace apiserver
