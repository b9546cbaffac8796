#include "violet/list_command.h"

#include <fstream>

#include "k8s/rest_client.h"
#include "platform/resources.h"
#include "violet/exit_codes.h"
#include "violet/installed_extensions.h"
#include "violet/platform_errors.h"

namespace violet {

int RunList(const ListRequest& request, std::ostream& out, std::ostream& err) {
  if (absl::Status status = platform::RequireConnection(request.connection); !status.ok()) {
    return ReportPlatformError(status, request.connection, err);
  }
  auto config = platform::ConfigForCluster(request.connection, platform::kGlobalCluster);
  if (!config.ok()) return ReportPlatformError(config.status(), request.connection, err);
  k8s::RestClient global(*config);
  auto records = ReadPlatformRecords(global);
  if (!records.ok()) return ReportPlatformError(records.status(), request.connection, err);
  const std::string yaml = ApplicationsYaml(InstalledExtensions(*records), request.clusters);
  out << yaml;
  if (!request.output_file.empty()) {
    std::ofstream file(request.output_file, std::ios::trunc);
    if (!(file << yaml) || !file.flush()) {
      err << "violet: cannot write --output-file " << request.output_file << "\n";
      return kExitFailed;
    }
    err << "violet: wrote " << request.output_file << "\n";
  }
  return kExitOk;
}

}  // namespace violet
