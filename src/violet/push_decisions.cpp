#include "violet/push_decisions.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/version_compare.h"
#include "platform/resources.h"
#include "violet/registry_address.h"
#include "violet/safety_rails.h"

namespace violet {

using package::PackageType;

bool NeedsPlatform(const PushRequest& request) {
  const bool platform_given =
      !request.connection.platform_address.empty() || !request.connection.kubeconfig.empty();
  return !request.skip_crs || request.dest_repo.empty() || platform_given;
}

ClusterTargets TargetClusters(const std::string& label, PackageType type,
                              const std::vector<std::string>& clusters, bool clusters_given) {
  if (type == PackageType::kOperatorBundle) return {clusters, ""};
  ClusterTargets targets{{platform::kGlobalCluster}, ""};
  if (clusters_given && (clusters.size() != 1 || clusters[0] != platform::kGlobalCluster)) {
    const bool plugin = type == PackageType::kClusterPlugin;
    targets.notice = fmt::format(
        "NOTICE: package {}: --clusters is ignored for {}: its custom resources go to the global "
        "cluster{}",
        label, plugin ? "cluster plugins" : "charts",
        plugin ? " and the plugin reaches clusters through ModuleConfig affinity" : "");
  }
  return targets;
}

std::vector<std::string> ClustersToWrite(const PushRequest& request,
                                         const std::vector<PackageType>& types) {
  std::vector<std::string> clusters;
  if (request.skip_crs) return clusters;
  for (PackageType type : types) {
    for (const std::string& cluster :
         TargetClusters("", type, request.clusters, request.clusters_given).clusters) {
      if (std::find(clusters.begin(), clusters.end(), cluster) == clusters.end()) {
        clusters.push_back(cluster);
      }
    }
  }
  return clusters;
}

absl::Status DistinctServers(const std::vector<std::pair<std::string, std::string>>& servers) {
  for (size_t i = 0; i < servers.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (servers[i].second == servers[j].second) {
        return absl::InvalidArgumentError(fmt::format(
            "--clusters: {} and {} both reach the API server {}; one write would be reported as "
            "two clusters — name each cluster once, or give --platform-address",
            servers[j].first, servers[i].first, servers[i].second));
      }
    }
  }
  return absl::OkStatus();
}

bool NeedsUpgradeCheck(const PushRequest& request, bool any_bundle) {
  return !request.skip_crs && any_bundle && !WorkloadClusters(request.clusters).empty();
}

RailDecision DecideUpgradeRail(const std::string& in_progress_reason, bool force) {
  if (in_progress_reason.empty()) return RailDecision::kProceed;
  return force ? RailDecision::kWarn : RailDecision::kRefuse;
}

bool IsTopolvmPackage(const std::string& package_name) {
  return package_name.find("topolvm") != std::string::npos;
}

bool SeparateTopolvm(const PushRequest& request, size_t package_count,
                     const std::string& global_version) {
  if (!request.skip_push || request.skip_crs || package_count < 2) return false;
  if (global_version.empty()) return false;
  return common::CompareVersions(global_version, "3.18") >= 0 &&
         common::CompareVersions(global_version, "4.2") < 0;
}

bool WarnStandby(const std::string& role, const PushRequest& request) {
  return role == "standby" && request.dest_repo.empty() && !request.skip_push;
}

absl::StatusOr<registry::RegistryOptions> ChooseRegistry(
    const PushRequest& request, const std::optional<platform::Registry>& platform) {
  registry::RegistryOptions options;
  options.transport.plain = request.plain;
  options.transport.insecure = request.registry_insecure;
  options.transport.ca_file = request.registry_ca_file;
  options.transport.limits = request.transfer_limits;
  if (!request.dest_repo.empty()) {
    auto address = ParseRegistryAddress(request.dest_repo, "--dest-repo");
    if (!address.ok()) return address.status();
    options.host = address->host;
    options.transport.plain = options.transport.plain || address->plain;
  } else {
    if (!platform) {
      return absl::InvalidArgumentError("no registry: give --dest-repo or a platform to read it");
    }
    auto address = ParseRegistryAddress(platform->address, platform->where_from);
    if (!address.ok()) return address.status();
    options.host = address->host;
    options.transport.plain = options.transport.plain || address->plain;
    if (request.username.empty() && !request.no_auth) {
      options.credentials = {platform->username, platform->password};
    }
  }
  if (!request.username.empty()) options.credentials = {request.username, request.password};
  return options;
}

std::string FormatPushSummary(const PushTotals& totals) {
  std::string text = fmt::format(
      "Summary: {} package(s) done, {} failed; images: {} pushed, {} already present; custom "
      "resources: {} created, {} updated, {} unchanged\n",
      totals.packages_ok, totals.packages_failed, totals.images_pushed, totals.images_present,
      totals.created, totals.updated, totals.unchanged);
  if (totals.packages_failed == 0 && totals.images_pushed == 0 && totals.created == 0 &&
      totals.updated == 0) {
    text += "Nothing changed: every image and custom resource was already in place.\n";
  }
  return text;
}

}  // namespace violet
