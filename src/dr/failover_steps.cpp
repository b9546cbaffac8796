#include "dr/failover_steps.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netdb.h>
#include <sys/socket.h>

#include <fstream>
#include <sstream>

#include "common/absl_fmt.h"
#include "common/status_macros.h"
#include "dr/gates.h"
#include "dr/plan.h"
#include "dr/plugin_steps.h"
#include "dr/runner.h"
#include "k8s/json_fields.h"
#include "platform/dr_role.h"
#include "platform/resources.h"

namespace dr {

using nlohmann::json;

const std::vector<std::string>& NewPrimaryRestartServices() {
  static const std::vector<std::string> services = {"cpaas-elasticsearch", "alertmanager",
                                                    "vmselect", "vminsert", "cluster-transformer"};
  return services;
}

absl::Status RestartPlatformPods(DrContext& context, StepRun& run, bool standby,
                                 const std::vector<std::string>& services) {
  k8s::RestClient& client = context.client(standby);
  int deleted = 0;
  for (const std::string& service : services) {
    auto pods =
        client.List(platform::kPods, platform::kPlatformNamespace, "service_name=" + service);
    if (!pods.ok()) return pods.status();
    for (const json& pod : (*pods)["items"]) {
      const std::string name = k8s::NameOf(pod);
      auto removed = client.Delete(platform::kPods, platform::kPlatformNamespace, name);
      if (!removed.ok() && !absl::IsNotFound(removed)) return removed;
      run.out << fmt::format("      restarted cpaas-system/{} (service_name={})\n", name, service);
      ++deleted;
    }
  }
  run.record().message = deleted == 0 ? "no such pods (components not installed)"
                                      : fmt::format("{} pod(s) restarted", deleted);
  return absl::OkStatus();
}

absl::Status MarkRole(DrContext& context, StepRun& run, bool standby_side, const char* role) {
  RETURN_IF_ERROR(platform::WriteDrRole(context.client(standby_side), role));
  run.out << fmt::format("      {} marked {} (ConfigMap cpaas-system/{})\n",
                         standby_side ? context.standby().label : context.primary().label, role,
                         platform::kDrRoleConfigMap);
  return absl::OkStatus();
}

absl::Status VerifyDomainSwitched(DrContext& context, StepRun& run) {
  const std::string& domain = context.options().domain;
  if (domain.empty()) {
    run.record().message = "confirmed by the operator (no --domain to verify)";
    return absl::OkStatus();
  }
  const std::string vip = UrlHost(context.options().standby_vip);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int error = getaddrinfo(domain.c_str(), nullptr, &hints, &found); error != 0) {
    return absl::FailedPreconditionError(fmt::format(
        "{} does not resolve from here ({}); check the DNS change, then rerun with --confirm {}",
        domain, gai_strerror(error), run.step));
  }
  std::string addresses;
  bool matches = false;
  for (addrinfo* address = found; address; address = address->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    const void* raw =
        address->ai_family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(address->ai_addr)->sin_addr)
            : static_cast<const void*>(
                  &reinterpret_cast<sockaddr_in6*>(address->ai_addr)->sin6_addr);
    inet_ntop(address->ai_family, raw, text, sizeof(text));
    if (addresses.find(text) == std::string::npos) {
      addresses += (addresses.empty() ? "" : ", ") + std::string(text);
    }
    matches = matches || vip == text;
  }
  freeaddrinfo(found);
  if (!matches) {
    return absl::FailedPreconditionError(fmt::format(
        "{} resolves to {}, not to the standby VIP {}; fix the DNS record (or wait for its TTL), "
        "then rerun with --confirm {}",
        domain, addresses, vip, run.step));
  }
  run.record().message = fmt::format("{} resolves to {}", domain, vip);
  return absl::OkStatus();
}

absl::Status SwitchRoles(DrContext& context, StepRun& run, bool primary_lost) {
  RETURN_IF_ERROR(VerifyDomainSwitched(context, run));
  RETURN_IF_ERROR(MarkRole(context, run, true, platform::kDrRolePrimary));
  if (primary_lost) return absl::OkStatus();
  return MarkRole(context, run, false, platform::kDrRoleStandby);
}

namespace {

absl::StatusOr<json> PluginForReenable(DrContext& context) {
  const std::string& file = context.options().plugin_object;
  if (!file.empty()) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    json object = json::parse(text.str(), nullptr, false);
    if (!in || object.is_discarded() || !object.is_object()) {
      return absl::InvalidArgumentError(
          fmt::format("--plugin-object {}: not a readable JSON ModuleInfo", file));
    }
    return object;
  }
  JournalStore failover(DefaultJournalFile(kFailover), &context.primary_client(),
                        JournalConfigMap(kFailover), context.out());
  auto saved = failover.Load();
  if (saved.ok() && *saved && !(*saved)->saved_plugin.is_null()) return (*saved)->saved_plugin;
  return json();
}

}  // namespace

absl::Status ReinstallOnOldPrimary(DrContext& context, StepRun& run) {
  auto plugin = PluginForReenable(context);
  if (!plugin.ok()) return plugin.status();
  // The old primary becomes this pair's standby (violet warns on pushes to it).
  RETURN_IF_ERROR(MarkRole(context, run, false, platform::kDrRolePrimary));
  RETURN_IF_ERROR(MarkRole(context, run, true, platform::kDrRoleStandby));
  return ReinstallSyncPlugin(context, run, *plugin);
}

}  // namespace dr
