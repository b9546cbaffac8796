#include "apiserver/status_body.h"

#include <fmt/format.h>

namespace apiserver {
namespace {

nlohmann::json Details(const std::string& group_resource, const std::string& name) {
  const size_t dot = group_resource.find('.');
  nlohmann::json details = {{"name", name}};
  details["kind"] = group_resource.substr(0, dot);
  if (dot != std::string::npos) details["group"] = group_resource.substr(dot + 1);
  return details;
}

}  // namespace

nlohmann::json StatusBody(const ApiFailure& failure) {
  nlohmann::json body = {
      {"kind", "Status"},    {"apiVersion", "v1"},         {"metadata", nlohmann::json::object()},
      {"status", "Failure"}, {"message", failure.message}, {"reason", failure.reason},
      {"code", failure.code}};
  if (!failure.details.empty()) body["details"] = failure.details;
  return body;
}

ApiFailure NotFound(const std::string& group_resource, const std::string& name) {
  return {404, "NotFound", fmt::format("{} \"{}\" not found", group_resource, name),
          Details(group_resource, name)};
}

ApiFailure AlreadyExists(const std::string& group_resource, const std::string& name) {
  return {409, "AlreadyExists", fmt::format("{} \"{}\" already exists", group_resource, name),
          Details(group_resource, name)};
}

ApiFailure Conflict(const std::string& group_resource, const std::string& name) {
  return {409, "Conflict",
          fmt::format("Operation cannot be fulfilled on {} \"{}\": the object has been "
                      "modified; please apply your changes to the latest version and try again",
                      group_resource, name),
          Details(group_resource, name)};
}

ApiFailure BadRequest(const std::string& message) { return {400, "BadRequest", message, {}}; }

ApiFailure Unauthorized() { return {401, "Unauthorized", "Unauthorized", {}}; }

}  // namespace apiserver
