#include "upgrade/topolvm_steps.h"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/absl_fmt.h"
#include "common/status_macros.h"
#include "k8s/json_fields.h"
#include "platform/resources.h"
#include "upgrade/version_rules.h"

namespace upgrade {

using nlohmann::json;

namespace {

absl::Status WriteAtomically(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      return absl::PermissionDeniedError(
          fmt::format("cannot write {} — pass a writable --state-dir", temporary));
    }
  }
  if (FILE* file = std::fopen(temporary.c_str(), "r")) {
    fsync(fileno(file));
    std::fclose(file);
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    return absl::PermissionDeniedError(
        fmt::format("cannot write {}: {} — pass a writable --state-dir", path, error.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<json> ReadSaved(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  json saved = json::parse(text.str(), nullptr, false);
  if (saved.is_discarded() || k8s::NameOf(saved).empty()) {
    return absl::DataLossError(fmt::format(
        "{} is not a saved ArtifactVersion (JSON); re-create TopoLVM's ArtifactVersion by hand",
        path));
  }
  return saved;
}

}  // namespace

std::string TopolvmSavePath(const TopolvmScope& scope) {
  return fmt::format("{}/topolvm-artifact-{}.yaml", scope.state_dir.empty() ? "." : scope.state_dir,
                     scope.cluster);
}

absl::StatusOr<std::vector<std::string>> TopolvmBeforeUpgrade(k8s::RestClient& global,
                                                              k8s::RestClient& cluster,
                                                              const TopolvmScope& scope) {
  std::vector<std::string> lines;
  if (MinorOf(scope.source_version) != "3.18") {
    lines.push_back(
        fmt::format("TopoLVM: no steps (cluster {} is at {}, they apply from 3.18)", scope.cluster,
                    scope.source_version.empty() ? "an unknown version" : scope.source_version));
    return lines;
  }
  const std::string path = TopolvmSavePath(scope);
  if (!scope.leaves_source && !std::filesystem::exists(path)) {
    lines.push_back("TopoLVM: no steps (no component leaves 3.18 in this run)");
    return lines;
  }
  json saved;
  if (std::filesystem::exists(path)) {
    ASSIGN_OR_RETURN(saved, ReadSaved(path));
    lines.push_back(
        fmt::format("TopoLVM: ArtifactVersion {} already saved in {}", k8s::NameOf(saved), path));
  } else {
    auto list = cluster.List(platform::kArtifactVersions, platform::kPlatformNamespace,
                             kTopolvmArtifactLabel);
    if (!list.ok()) return list.status();
    const std::string minor = MinorOf(scope.target_version);
    for (const json& version : k8s::ItemsOf(*list)) {
      if (!minor.empty() && k8s::NameOf(version).find(minor) != std::string::npos) {
        saved = version;
        break;
      }
    }
    if (saved.is_null()) {
      lines.push_back(
          fmt::format("TopoLVM: not installed on cluster {} (no ArtifactVersion {} "
                      "for {})",
                      scope.cluster, kTopolvmArtifactLabel, minor));
      return lines;
    }
    RETURN_IF_ERROR(WriteAtomically(path, saved.dump(2) + "\n"));
    lines.push_back(
        fmt::format("TopoLVM: saved ArtifactVersion {} to {}", k8s::NameOf(saved), path));
  }
  absl::Status deleted =
      cluster.Delete(platform::kArtifactVersions, platform::kPlatformNamespace, k8s::NameOf(saved));
  if (!deleted.ok() && !absl::IsNotFound(deleted)) return deleted;
  lines.push_back(
      fmt::format("TopoLVM: deleted ArtifactVersion cpaas-system/{}", k8s::NameOf(saved)));

  auto infos = global.List(platform::kModuleInfos, "");
  if (!infos.ok()) return infos.status();
  for (const json& info : k8s::ItemsOf(*infos)) {
    const std::string name = k8s::NameOf(info);
    if (name.find(kTopolvmCatalogUpdater) == std::string::npos ||
        name.find(scope.cluster) == std::string::npos) {
      continue;
    }
    absl::Status removed = global.Delete(platform::kModuleInfos, "", name);
    if (!removed.ok() && !absl::IsNotFound(removed)) return removed;
    lines.push_back(fmt::format("TopoLVM: deleted ModuleInfo {} on global", name));
  }
  return lines;
}

absl::StatusOr<std::vector<std::string>> TopolvmAfterUpgrade(k8s::RestClient& cluster,
                                                             const TopolvmScope& scope) {
  const std::string path = TopolvmSavePath(scope);
  if (!std::filesystem::exists(path)) return std::vector<std::string>();
  ASSIGN_OR_RETURN(json saved, ReadSaved(path));
  json object = saved;
  object.erase("status");
  for (const char* field :
       {"resourceVersion", "uid", "creationTimestamp", "generation", "managedFields"}) {
    object["metadata"].erase(field);
  }
  std::vector<std::string> lines;
  auto created = cluster.Create(platform::kArtifactVersions, platform::kPlatformNamespace, object);
  if (created.ok()) {
    lines.push_back(
        fmt::format("TopoLVM: re-created ArtifactVersion cpaas-system/{} from {}; it "
                    "upgrades itself in about 5-10 minutes",
                    k8s::NameOf(object), path));
  } else if (absl::IsAlreadyExists(created.status())) {
    lines.push_back(fmt::format("TopoLVM: ArtifactVersion cpaas-system/{} already exists",
                                k8s::NameOf(object)));
  } else {
    return absl::Status(created.status().code(),
                        fmt::format("TopoLVM: re-creating ArtifactVersion from {} failed (the file "
                                    "is kept; run again): {}",
                                    path, created.status().message()));
  }
  std::filesystem::remove(path);
  return lines;
}

}  // namespace upgrade
