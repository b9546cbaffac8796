#include "violet/list_command.h"

#include <fstream>

#include "k8s/rest_client.h"
#include "platform/resources.h"
#include "violet/installed_extensions.h"

namespace violet {

Outcome RunList(const ListRequest& request, std::ostream& out, std::ostream& err) {
  if (absl::Status status = platform::RequireConnection(request.connection); !status.ok()) {
    return Outcome(FailureKind::kUsage, status);
  }
  auto config = platform::ConfigForCluster(request.connection, platform::kGlobalCluster);
  if (!config.ok()) return Outcome(FailureKind::kUsage, config.status());
  k8s::RestClient global(*config);
  auto records = ReadPlatformRecords(global);
  if (!records.ok()) return ClusterFailure(records.status(), request.connection);
  const std::string yaml = ApplicationsYaml(InstalledExtensions(*records), request.clusters);
  out << yaml;
  if (!request.output_file.empty()) {
    std::ofstream file(request.output_file, std::ios::trunc);
    if (!(file << yaml) || !file.flush()) {
      return Outcome(FailureKind::kStep,
                     absl::UnavailableError("cannot write --output-file " + request.output_file));
    }
    err << "violet: wrote " << request.output_file << "\n";
  }
  return Outcome();
}

}  // namespace violet
