#include "k8s/key_layout.h"

#include <algorithm>
#include <array>
#include <vector>

namespace k8s {
namespace {

// Resources whose etcd path has two segments without being an API group.
constexpr std::array<std::string_view, 4> kTwoSegmentResources = {
    "services/specs", "services/endpoints", "ranges/serviceips", "ranges/servicenodeports"};

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

}  // namespace

std::optional<ObjectKey> ParseObjectKey(std::string_view key, std::string_view root) {
  if (!key.starts_with(root)) return std::nullopt;
  std::vector<std::string_view> parts = Split(key.substr(root.size()));
  if (parts.empty() || parts[0].empty()) return std::nullopt;

  size_t resource_segments = 1;
  if (parts.size() >= 2) {
    const std::string joined = std::string(parts[0]) + "/" + std::string(parts[1]);
    const bool legacy = std::find(kTwoSegmentResources.begin(), kTwoSegmentResources.end(),
                                  joined) != kTwoSegmentResources.end();
    // API groups other than the built-in ones stored without a group contain a dot.
    if (legacy || parts[0].find('.') != std::string_view::npos) resource_segments = 2;
  }
  ObjectKey object;
  for (size_t i = 0; i < resource_segments && i < parts.size(); ++i) {
    if (i > 0) object.resource += '/';
    object.resource += parts[i];
  }
  const size_t rest = parts.size() > resource_segments ? parts.size() - resource_segments : 0;
  if (rest == 1) {
    object.name = parts[resource_segments];
  } else if (rest >= 2) {
    object.ns = parts[resource_segments];
    // Names never contain '/', but be faithful to whatever follows the namespace.
    std::string name;
    for (size_t i = resource_segments + 1; i < parts.size(); ++i) {
      if (!name.empty()) name += '/';
      name += parts[i];
    }
    object.name = std::move(name);
  }
  return object;
}

}  // namespace k8s
