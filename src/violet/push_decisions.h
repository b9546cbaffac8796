// The decisions `violet push` makes, as pure functions of the request and what it read: which
// clusters a package's resources go to, whether the platform is needed at all, the safety rail
// and the standby warning, where the images go, the summary. No I/O (push_command.cpp does it).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "package/package_manifest.h"
#include "platform/registry.h"
#include "registry/registry_client.h"
#include "violet/push_command.h"

namespace violet {

// Images only (--skip-crs) into a registry named on the command line (--dest-repo) with no
// platform flags: nothing to read from or write to a cluster (upgrade.sh pushes plugins/*.tgz
// this way). Everything else reads the global cluster.
bool NeedsPlatform(const PushRequest& request);

// Where a package's Artifact/ArtifactVersion go: an operator bundle to each of --clusters;
// cluster plugins and charts to global only, with a notice when --clusters named more.
struct ClusterTargets {
  std::vector<std::string> clusters;
  std::string notice;  // "" or one NOTICE line (without the newline)
};
ClusterTargets TargetClusters(const std::string& label, package::PackageType type,
                              const std::vector<std::string>& clusters, bool clusters_given);

// Every cluster some package will write to, in first-seen order (--skip-crs: none).
std::vector<std::string> ClustersToWrite(const PushRequest& request,
                                         const std::vector<package::PackageType>& types);

// Two cluster names that reach the same API server would write one cluster twice while the
// output names two: refused (InvalidArgument naming both and the server).
absl::Status DistinctServers(const std::vector<std::pair<std::string, std::string>>& servers);

// The workload-cluster rail: operator bundles with custom resources on a cluster other than
// global need the global upgrade's state read; while it runs they are refused, or with --force
// written after a warning.
bool NeedsUpgradeCheck(const PushRequest& request, bool any_bundle);
enum class RailDecision { kProceed, kWarn, kRefuse };
RailDecision DecideUpgradeRail(const std::string& in_progress_reason, bool force);

// §4.1 step 4 (4.1, from 3.18 or 4.0): a create-CRs run (--skip-push) over several packages
// that include the TopoLVM operator leaves TopoLVM out of the others and creates its CRs after
// them with --target-catalog-source platform. Our reading of "from 3.18 or 4.0": the global
// cluster reads 3.18, 4.0 or 4.1 (an Era A trigger may already have moved ProductBase to the
// target 4.1); an unknown version does not (the operator's --target-catalog-source stands).
inline constexpr const char* kTopolvmCatalogSource = "platform";
bool IsTopolvmPackage(const std::string& package_name);
bool SeparateTopolvm(const PushRequest& request, size_t package_count,
                     const std::string& global_version);

// Images pushed to a standby without --dest-repo would go to the primary's registry.
bool WarnStandby(const std::string& role, const PushRequest& request);

// The registry the images go to and are checked in: --dest-repo, or the platform's (its
// credentials unless --username/--no-auth); --username/--password always win. `platform` is
// read only without --dest-repo. InvalidArgument when the platform's address is not a host.
absl::StatusOr<registry::RegistryOptions> ChooseRegistry(
    const PushRequest& request, const std::optional<platform::Registry>& platform);

// What a run did, and its last lines.
struct PushTotals {
  int packages_ok = 0, packages_failed = 0;
  int images_pushed = 0, images_present = 0;
  int created = 0, updated = 0, unchanged = 0;
};
std::string FormatPushSummary(const PushTotals& totals);

}  // namespace violet
