#include "apiserver/api_path.h"

#include <vector>

namespace apiserver {

std::optional<ApiPath> ParseApiPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  ApiPath result;
  size_t next = 0;
  if (parts.size() >= 2 && parts[0] == "api") {
    result.version = parts[1];
    next = 2;
  } else if (parts.size() >= 3 && parts[0] == "apis") {
    result.group = parts[1];
    result.version = parts[2];
    next = 3;
  } else {
    return std::nullopt;
  }
  std::vector<std::string> rest(parts.begin() + static_cast<long>(next), parts.end());
  // /namespaces/<ns>/<resource>/...; /namespaces/<name>/status is the Namespace itself.
  if (rest.size() >= 3 && rest[0] == "namespaces" && rest[2] != "status" && rest[2] != "finalize") {
    result.ns = rest[1];
    rest.erase(rest.begin(), rest.begin() + 2);
  }
  if (rest.empty() || rest.size() > 3) return std::nullopt;
  result.resource = rest[0];
  if (rest.size() >= 2) result.name = rest[1];
  if (rest.size() == 3) result.subresource = rest[2];
  return result;
}

}  // namespace apiserver
