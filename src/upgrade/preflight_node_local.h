// The node-local part of the preflight (acp-spec.md §2 "Space and other checks"): free space
// under /cpaas/minio and on the extraction disk, and the cgroup version, measured on the
// machine upgrade.sh runs on. Paths are injectable so tests measure their own directories.
#pragma once

#include <string>

#include "upgrade/preflight_check.h"

namespace upgrade {

struct NodeLocalPaths {
  std::string root = "/";  // prefixes the three system paths below (tests, chroots)
  std::string apiserver_manifest = "etc/kubernetes/manifests/kube-apiserver.yaml";
  std::string minio_dir = "cpaas/minio";
  std::string cgroup_dir = "sys/fs/cgroup";
  std::string package_dir = ".";  // upgrade.sh's directory, as given
};

// Never fails: what cannot be read is recorded as unknown (the checks then say Retry).
NodeLocalFacts ReadNodeLocalFacts(const NodeLocalPaths& paths);

// statfs magic of cgroup2fs (linux/magic.h CGROUP2_SUPER_MAGIC).
inline constexpr int64_t kCgroup2Magic = 0x63677270;
// The docs' thresholds, in bytes (GB as the docs write it: 10^9).
inline constexpr uint64_t kMinioFreeBytes = uint64_t{120} * 1000 * 1000 * 1000;
inline constexpr uint64_t kExtractionFreeBytes = uint64_t{250} * 1000 * 1000 * 1000;

}  // namespace upgrade
