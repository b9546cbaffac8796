#include "dr/dr_context.h"

#include <fmt/format.h>

#include "common/absl_fmt.h"
#include "k8s/json_fields.h"
#include "platform/resources.h"

namespace dr {

using nlohmann::json;

DrContext::DrContext(DrOptions options, ClusterAccess primary, ClusterAccess standby,
                     std::ostream& out)
    : options_(std::move(options)),
      primary_(std::move(primary)),
      standby_(std::move(standby)),
      primary_client_(primary_.config),
      standby_client_(standby_.config),
      out_(out),
      monitor_url_(options_.monitor_url) {
  while (!monitor_url_.empty() && monitor_url_.back() == '/') monitor_url_.pop_back();
}

absl::StatusOr<std::string> DrContext::MonitorUrl() {
  if (!monitor_url_.empty()) return monitor_url_;
  auto service =
      standby_client_.Get(platform::kServices, platform::kPlatformNamespace, "etcd-sync-monitor");
  if (!service.ok()) {
    return absl::UnavailableError(fmt::format(
        "cannot find the standby's Service cpaas-system/etcd-sync-monitor ({}); pass --monitor-url",
        common::View(service.status().message())));
  }
  const std::string ip = k8s::StringAt(*service, "/spec/clusterIP");
  if (ip.empty() || ip == "None") {
    return absl::UnavailableError(
        "Service cpaas-system/etcd-sync-monitor on the standby has no clusterIP; pass "
        "--monitor-url");
  }
  // Port 80 as the docs call it; another service port when the Service says so.
  int port = 80;
  const json::json_pointer port_path("/spec/ports/0/port");
  if (service->contains(port_path) && (*service)[port_path].is_number_integer()) {
    port = (*service)[port_path].get<int>();
  }
  const std::string host = ip.find(':') != std::string::npos ? fmt::format("[{}]", ip) : ip;
  monitor_url_ =
      port == 80 ? fmt::format("http://{}", host) : fmt::format("http://{}:{}", host, port);
  return monitor_url_;
}

}  // namespace dr
