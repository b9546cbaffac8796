#include "bundle/image_name.h"

#include <fmt/format.h>

#include "common/untrusted_text.h"

namespace bundle {
namespace {

bool IsHostComponent(std::string_view component) {
  return component.find('.') != std::string_view::npos ||
         component.find(':') != std::string_view::npos || component == "localhost";
}

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// One path component of github.com/distribution/reference:
// [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*. Hand-written: std::regex recurses per character.
bool IsPathComponent(std::string_view text) {
  if (text.empty() || !IsLowerAlnum(text.front()) || !IsLowerAlnum(text.back())) return false;
  size_t i = 0;
  while (i < text.size()) {
    if (IsLowerAlnum(text[i])) {
      ++i;
      continue;
    }
    const char separator = text[i];
    size_t run = 0;
    while (i < text.size() && text[i] == separator) {
      ++i;
      ++run;
    }
    const bool valid =
        (separator == '.' && run == 1) || (separator == '_' && run <= 2) || separator == '-';
    if (!valid || i == text.size() || !IsLowerAlnum(text[i])) return false;
  }
  return true;
}

bool IsRepository(std::string_view text) {
  size_t start = 0;
  while (true) {
    const size_t slash = text.find('/', start);
    if (!IsPathComponent(text.substr(start, slash - start))) return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

// [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
bool IsTag(std::string_view text) {
  const auto word = [](char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (text.empty() || text.size() > 128 || !word(text[0])) return false;
  for (char c : text.substr(1)) {
    if (!word(c) && c != '.' && c != '-') return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<ImageName> ParseImageName(std::string_view ref_name) {
  const auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(fmt::format(
        "image name \"{}\" {}: expected <repository>:<tag>", common::Clip(ref_name, 128), why));
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
  if (name.repository.empty() || name.repository.size() > 255 || !IsRepository(name.repository)) {
    return bad("has an invalid repository");
  }
  if (!IsTag(name.tag)) return bad("has an invalid tag");
  return name;
}

}  // namespace bundle
