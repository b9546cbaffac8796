// TEST STAND-IN for kube-apiserver: splits a REST path (/api/v1/namespaces/ns/pods/p/status,
// /apis/g/v/widgets) into group, version, namespace, resource, name and subresource.
#pragma once

#include <optional>
#include <string>

namespace apiserver {

struct ApiPath {
  std::string group;
  std::string version;
  std::string ns;
  std::string resource;
  std::string name;
  std::string subresource;
};

// nullopt when `path` is not a resource path.
std::optional<ApiPath> ParseApiPath(const std::string& path);

}  // namespace apiserver
