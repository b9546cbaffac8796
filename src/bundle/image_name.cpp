#include "bundle/image_name.h"

#include <fmt/format.h>

#include <regex>

#include "common/untrusted_text.h"

namespace bundle {
namespace {

bool IsHostComponent(std::string_view component) {
  return component.find('.') != std::string_view::npos ||
         component.find(':') != std::string_view::npos || component == "localhost";
}

}  // namespace

absl::StatusOr<ImageName> ParseImageName(std::string_view ref_name) {
  // Grammar of github.com/distribution/reference (repository path and tag).
  static const std::regex kRepository(
      "[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*");
  static const std::regex kTag("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  const auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(fmt::format(
        "image name \"{}\" {}: expected <repository>:<tag>", common::Clip(ref_name), why));
  };
  std::string_view rest = ref_name;
  if (rest.find('@') != std::string_view::npos) return bad("holds a digest");
  const size_t slash = rest.find('/');
  if (slash != std::string_view::npos && IsHostComponent(rest.substr(0, slash))) {
    rest = rest.substr(slash + 1);
  }
  const size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos || rest.find('/', colon) != std::string_view::npos) {
    return bad("has no tag");
  }
  ImageName name{std::string(rest.substr(0, colon)), std::string(rest.substr(colon + 1))};
  if (name.repository.empty() || name.repository.size() > 255 ||
      !std::regex_match(name.repository, kRepository)) {
    return bad("has an invalid repository");
  }
  if (!std::regex_match(name.tag, kTag)) return bad("has an invalid tag");
  return name;
}

}  // namespace bundle
