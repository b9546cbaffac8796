#include "violet/gc_command.h"

#include <fmt/format.h>

#include <map>
#include <memory>

#include "common/absl_fmt.h"
#include "k8s/rest_client.h"
#include "platform/resources.h"
#include "violet/gc_plan.h"

namespace violet {

Outcome RunGc(const GcRequest& request, std::ostream& out, std::ostream& err) {
  if (absl::Status status = platform::RequireConnection(request.connection); !status.ok()) {
    return Outcome(FailureKind::kUsage, status);
  }
  auto global_config = platform::ConfigForCluster(request.connection, platform::kGlobalCluster);
  if (!global_config.ok()) return Outcome(FailureKind::kUsage, global_config.status());
  k8s::RestClient global(*global_config);
  auto records = ReadPlatformRecords(global);
  if (!records.ok()) return ClusterFailure(records.status(), request.connection);

  std::map<std::string, std::unique_ptr<k8s::RestClient>> clients;
  std::vector<ClusterArtifacts> clusters;
  for (const std::string& cluster : request.clusters) {
    auto config = platform::ConfigForCluster(request.connection, cluster);
    if (!config.ok()) {
      return Outcome(FailureKind::kUsage,
                     absl::Status(config.status().code(),
                                  fmt::format("cluster {}: {}", cluster,
                                              common::View(config.status().message()))));
    }
    auto& client = clients[cluster] = std::make_unique<k8s::RestClient>(*config);
    ClusterArtifacts held{cluster};
    for (auto [ref, items] : {std::pair{&platform::kArtifacts, &held.artifacts},
                              std::pair{&platform::kArtifactVersions, &held.artifact_versions}}) {
      auto list = client->List(*ref, request.ns);
      if (!list.ok()) {
        return ClusterFailure(
            absl::Status(list.status().code(), fmt::format("cluster {}: {}", cluster,
                                                           common::View(list.status().message()))),
            request.connection);
      }
      *items = list->value("items", nlohmann::json::array());
    }
    clusters.push_back(std::move(held));
  }
  const bool plugins_on_global = std::find(request.clusters.begin(), request.clusters.end(),
                                           platform::kGlobalCluster) != request.clusters.end();
  std::vector<GcItem> items = PlanGc(clusters, *records, plugins_on_global);
  if (request.dry_run) {
    out << (items.empty() ? "Dry run: nothing would be deleted.\n"
                          : "Dry run: nothing was deleted; these would be:\n");
    if (!items.empty()) out << FormatGcSummary(items);
    return Outcome();
  }
  std::vector<GcItem> deleted;
  Outcome first_failure;
  for (const GcItem& item : items) {
    const k8s::ResourceRef* ref = item.type == "Artifact"          ? &platform::kArtifacts
                                  : item.type == "ArtifactVersion" ? &platform::kArtifactVersions
                                  : item.type == "ModulePlugin"    ? &platform::kModulePlugins
                                                                   : &platform::kModuleConfigs;
    k8s::RestClient& client = item.ns.empty() ? global : *clients[item.cluster];
    absl::Status status = client.Delete(*ref, item.ns, item.name);
    if (status.ok() || absl::IsNotFound(status)) {
      deleted.push_back(item);
    } else {
      err << fmt::format("violet: cannot delete {} {} on {}: {}\n", item.type, item.name,
                         item.cluster, common::View(status.message()));
      if (first_failure.ok()) first_failure = ClusterFailure(status, request.connection);
    }
  }
  out << FormatGcSummary(deleted);
  return first_failure.Reported();
}

}  // namespace violet
