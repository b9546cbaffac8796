#include "upgrade/version_rules.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "common/version_compare.h"

namespace upgrade {

std::string MinorOf(const std::string& version) {
  std::string text = version;
  if (!text.empty() && (text[0] == 'v' || text[0] == 'V')) text.erase(0, 1);
  size_t i = 0;
  auto digits = [&] {
    const size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    return i > start;
  };
  if (!digits() || i >= text.size() || text[i] != '.') return "";
  ++i;
  if (!digits()) return "";
  return text.substr(0, i);
}

bool VersionLess(const std::string& a, const std::string& b) {
  return common::CompareVersions(a, b) < 0;
}

std::vector<std::string> SupportedSourceMinors(const std::string& target_minor) {
  static const std::map<std::string, std::vector<std::string>> kPaths = {
      {"4.0", {"3.16", "3.18"}},      {"4.1", {"3.18", "4.0"}}, {"4.2", {"4.0", "4.1"}},
      {"4.3", {"4.0", "4.1", "4.2"}}, {"4.4", {"4.3"}},
  };
  auto found = kPaths.find(target_minor);
  if (found != kPaths.end()) return found->second;
  const size_t dot = target_minor.find('.');
  if (dot == std::string::npos) return {};
  const int minor = std::atoi(target_minor.c_str() + dot + 1);
  if (minor <= 0) return {};
  return {fmt::format("{}.{}", target_minor.substr(0, dot), minor - 1)};
}

bool UpgradePathSupported(const std::string& current, const std::string& target) {
  const std::string from = MinorOf(current), to = MinorOf(target);
  if (from.empty() || to.empty()) return false;
  if (from == to) return VersionLess(current, target);
  const std::vector<std::string> sources = SupportedSourceMinors(to);
  return std::find(sources.begin(), sources.end(), from) != sources.end();
}

KubernetesRange KubernetesRangeFor(const std::string& current, const std::string& target) {
  static const std::map<std::string, std::string> kMinimumBySource = {
      {"3.16", "1.28"}, {"3.18", "1.30"}, {"4.0", "1.31"}, {"4.1", "1.32"}};
  KubernetesRange range;
  auto found = kMinimumBySource.find(MinorOf(current));
  if (found != kMinimumBySource.end()) range.min_minor = found->second;
  if (!MinorOf(target).empty() && !VersionLess(MinorOf(target), "4.3")) {
    if (range.min_minor.empty() || VersionLess(range.min_minor, "1.31")) range.min_minor = "1.31";
    range.max_minor = "1.34";
  }
  return range;
}

bool KubernetesInRange(const std::string& kubernetes_version, const KubernetesRange& range) {
  const std::string minor = MinorOf(kubernetes_version);
  if (minor.empty()) return false;
  if (!range.min_minor.empty() && VersionLess(minor, range.min_minor)) return false;
  if (!range.max_minor.empty() && VersionLess(range.max_minor, minor)) return false;
  return true;
}

std::string DescribeRange(const KubernetesRange& range) {
  if (!range.min_minor.empty() && !range.max_minor.empty()) {
    return fmt::format("{} to {}", range.min_minor, range.max_minor);
  }
  if (!range.min_minor.empty()) return fmt::format("{} or later", range.min_minor);
  if (!range.max_minor.empty()) return fmt::format("{} or earlier", range.max_minor);
  return "any";
}

}  // namespace upgrade
