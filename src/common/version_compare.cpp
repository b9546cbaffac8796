#include "common/version_compare.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

namespace common {
namespace {

struct ParsedVersion {
  std::vector<long> numbers;
  std::string pre_release;  // after '-' ("" for a release)
  bool valid = false;
};

ParsedVersion Parse(std::string_view text) {
  ParsedVersion version;
  if (!text.empty() && (text[0] == 'v' || text[0] == 'V')) text.remove_prefix(1);
  const size_t dash = text.find_first_of("-+");
  if (dash != std::string_view::npos) {
    if (text[dash] == '-') version.pre_release = std::string(text.substr(dash + 1));
    text = text.substr(0, dash);
  }
  long current = -1;
  for (const char c : text) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      current = (current < 0 ? 0 : current * 10) + (c - '0');
    } else if (c == '.' && current >= 0) {
      version.numbers.push_back(current);
      current = -1;
    } else {
      return {};
    }
  }
  if (current < 0) return {};
  version.numbers.push_back(current);
  version.valid = true;
  return version;
}

}  // namespace

int CompareVersions(std::string_view a, std::string_view b) {
  const ParsedVersion left = Parse(a), right = Parse(b);
  if (!left.valid || !right.valid) {
    if (left.valid != right.valid) return left.valid ? -1 : 1;
    return std::string(a).compare(std::string(b));
  }
  const size_t parts = std::max(left.numbers.size(), right.numbers.size());
  for (size_t i = 0; i < parts; ++i) {
    const long x = i < left.numbers.size() ? left.numbers[i] : 0;
    const long y = i < right.numbers.size() ? right.numbers[i] : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  if (left.pre_release == right.pre_release) return 0;
  if (left.pre_release.empty()) return 1;
  if (right.pre_release.empty()) return -1;
  return left.pre_release < right.pre_release ? -1 : 1;
}

}  // namespace common
