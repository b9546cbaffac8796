#include "violet/gc_command.h"

#include <fmt/format.h>

#include <map>
#include <memory>

#include "common/absl_fmt.h"
#include "k8s/platform_resources.h"
#include "k8s/rest_client.h"
#include "violet/exit_codes.h"
#include "violet/gc_plan.h"
#include "violet/platform_errors.h"

namespace violet {

int RunGc(const GcRequest& request, std::ostream& out, std::ostream& err) {
  if (absl::Status status = RequirePlatform(request.connection); !status.ok()) {
    return ReportPlatformError(status, request.connection, err);
  }
  auto global_config = k8s::ConfigForCluster(request.connection, k8s::acp::kGlobalCluster);
  if (!global_config.ok())
    return ReportPlatformError(global_config.status(), request.connection, err);
  k8s::RestClient global(*global_config);
  auto records = ReadPlatformRecords(global);
  if (!records.ok()) return ReportPlatformError(records.status(), request.connection, err);

  std::map<std::string, std::unique_ptr<k8s::RestClient>> clients;
  std::vector<ClusterArtifacts> clusters;
  for (const std::string& cluster : request.clusters) {
    auto config = k8s::ConfigForCluster(request.connection, cluster);
    if (!config.ok()) return ReportPlatformError(config.status(), request.connection, err);
    auto& client = clients[cluster] = std::make_unique<k8s::RestClient>(*config);
    ClusterArtifacts held{cluster};
    for (auto [ref, items] : {std::pair{&k8s::acp::kArtifacts, &held.artifacts},
                              std::pair{&k8s::acp::kArtifactVersions, &held.artifact_versions}}) {
      auto list = client->List(*ref, request.ns);
      if (!list.ok()) {
        return ReportPlatformError(
            absl::Status(list.status().code(), fmt::format("cluster {}: {}", cluster,
                                                           common::View(list.status().message()))),
            request.connection, err);
      }
      *items = list->value("items", nlohmann::json::array());
    }
    clusters.push_back(std::move(held));
  }
  const bool plugins_on_global = std::find(request.clusters.begin(), request.clusters.end(),
                                           k8s::acp::kGlobalCluster) != request.clusters.end();
  std::vector<GcItem> items = PlanGc(clusters, *records, plugins_on_global);
  if (request.dry_run) {
    out << (items.empty() ? "Dry run: nothing would be deleted.\n"
                          : "Dry run: nothing was deleted; these would be:\n");
    if (!items.empty()) out << FormatGcSummary(items);
    return kExitOk;
  }
  std::vector<GcItem> deleted;
  int exit_code = kExitOk;
  for (const GcItem& item : items) {
    const k8s::ResourceRef* ref = item.type == "Artifact"          ? &k8s::acp::kArtifacts
                                  : item.type == "ArtifactVersion" ? &k8s::acp::kArtifactVersions
                                  : item.type == "ModulePlugin"    ? &k8s::acp::kModulePlugins
                                                                   : &k8s::acp::kModuleConfigs;
    k8s::RestClient& client = item.ns.empty() ? global : *clients[item.cluster];
    absl::Status status = client.Delete(*ref, item.ns, item.name);
    if (status.ok() || absl::IsNotFound(status)) {
      deleted.push_back(item);
    } else {
      err << fmt::format("violet: cannot delete {} {} on {}: {}\n", item.type, item.name,
                         item.cluster, common::View(status.message()));
      exit_code = kExitFailed;
    }
  }
  out << FormatGcSummary(deleted);
  return exit_code;
}

}  // namespace violet
