// The version rules of the upgrade docs (acp-spec.md §1, §2): which source versions may move
// to a target release, and which Kubernetes minors a cluster needs before it may.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace upgrade {

// "v4.3.1" -> "4.3"; "" when the text has no major.minor.
std::string MinorOf(const std::string& version);
// a < b etc. over release versions (common::CompareVersions).
bool VersionLess(const std::string& a, const std::string& b);

// §2 supported paths: the source minors each target minor accepts (4.3 <- 4.0, 4.1, 4.2 ...).
// A target minor the table does not know accepts the previous minor. A newer patch of the
// same minor is always a valid path.
std::vector<std::string> SupportedSourceMinors(const std::string& target_minor);
bool UpgradePathSupported(const std::string& current, const std::string& target);

struct KubernetesRange {
  std::string min_minor;  // "1.31"; "" no lower bound known
  std::string max_minor;  // "1.34"; "" no upper bound
};
// §2 prerequisites by source (3.16: 1.28, 3.18: 1.30, 4.0: 1.31, 4.1: 1.32) and §1 rule 5
// (before the global tier moves to 4.3 or later every cluster runs 1.31-1.34).
KubernetesRange KubernetesRangeFor(const std::string& current, const std::string& target);
// "v1.32.3-alauda.1" within the range (compared by minor).
bool KubernetesInRange(const std::string& kubernetes_version, const KubernetesRange& range);
std::string DescribeRange(const KubernetesRange& range);

}  // namespace upgrade
