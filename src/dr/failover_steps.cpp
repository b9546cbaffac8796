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
#include "platform/connection.h"
#include "platform/dr_role.h"
#include "platform/resources.h"

namespace dr {

using nlohmann::json;

const std::vector<std::string>& NewPrimaryRestartServices() {
  static const std::vector<std::string> services = {"cpaas-elasticsearch", "alertmanager",
                                                    "vmselect", "vminsert", "cluster-transformer"};
  return services;
}

const std::vector<std::string>& StandbyRestartServices() {
  static const std::vector<std::string> services = {"cpaas-elasticsearch", "alertmanager",
                                                    "vmselect", "vminsert"};
  return services;
}

namespace {

// Deletes the pods labelled service_name=<each> in cpaas-system; returns how many.
absl::StatusOr<int> DeleteServicePods(k8s::RestClient& client, const std::string& where,
                                      const std::vector<std::string>& services, std::ostream& out) {
  int deleted = 0;
  for (const std::string& service : services) {
    auto pods =
        client.List(platform::kPods, platform::kPlatformNamespace, "service_name=" + service);
    if (!pods.ok()) return pods.status();
    for (const json& pod : (*pods)["items"]) {
      const std::string name = k8s::NameOf(pod);
      auto removed = client.Delete(platform::kPods, platform::kPlatformNamespace, name);
      if (!removed.ok() && !absl::IsNotFound(removed)) return removed;
      out << fmt::format("      restarted {}cpaas-system/{} (service_name={})\n", where, name,
                         service);
      ++deleted;
    }
  }
  return deleted;
}

}  // namespace

std::string DnsCheckCommand(const std::string& domain) {
  return fmt::format("kubectl exec -it -n cpaas-system deployments/sentry -- nslookup {}",
                     domain.empty() ? "<domain>" : domain);
}

absl::Status CheckDnsStep(DrContext& context, StepRun& run) {
  if (!context.options().restart_coredns) {
    run.record().message = "the operator confirmed the sentry pod resolves the domain";
    return absl::OkStatus();
  }
  k8s::RestClient& client = context.standby_client();
  auto pods = client.List(platform::kPods, "kube-system", "k8s-app=kube-dns");
  if (!pods.ok()) return pods.status();
  int deleted = 0;
  for (const json& pod : (*pods)["items"]) {
    auto removed = client.Delete(platform::kPods, "kube-system", k8s::NameOf(pod));
    if (!removed.ok() && !absl::IsNotFound(removed)) return removed;
    run.out << fmt::format("      restarted kube-system/{} (coredns)\n", k8s::NameOf(pod));
    ++deleted;
  }
  return absl::FailedPreconditionError(fmt::format(
      "restarted {} coredns pod(s) on the new primary; run `{}` again, then rerun with --confirm "
      "{} (without --restart-coredns)",
      deleted, DnsCheckCommand(context.options().domain), run.step));
}

absl::Status RestartWarlockOnWorkloads(DrContext& context, StepRun& run) {
  auto clusters = context.standby_client().List(platform::kClusters, "");
  if (!clusters.ok() && !absl::IsNotFound(clusters.status())) return clusters.status();
  std::vector<std::string> names;
  if (clusters.ok()) {
    for (const json& cluster : k8s::ItemsOf(*clusters)) {
      const std::string name = k8s::NameOf(cluster);
      if (name != platform::kGlobalCluster) names.push_back(name);
    }
  }
  if (names.empty()) {
    run.record().message = "no workload clusters on the new primary";
    return absl::OkStatus();
  }
  int deleted = 0;
  std::string unreachable;
  for (const std::string& name : names) {
    auto config = platform::ConfigForCluster(context.standby().connection, name);
    absl::StatusOr<int> done = absl::UnknownError("not tried");
    if (config.ok()) {
      k8s::RestClient workload(*config);
      done =
          DeleteServicePods(workload, "cluster " + name + ": ", kWorkloadRestartServices, run.out);
    } else {
      done = config.status();
    }
    if (done.ok()) {
      deleted += *done;
    } else {
      unreachable += fmt::format("{}{} ({})", unreachable.empty() ? "" : ", ", name,
                                 common::View(done.status().message()));
    }
  }
  if (!unreachable.empty()) {
    return absl::UnavailableError(fmt::format(
        "cannot restart warlock on {}; rerun, or on each run kubectl -n cpaas-system delete pod "
        "-l service_name=warlock",
        unreachable));
  }
  run.record().message =
      fmt::format("{} warlock pod(s) restarted on {} workload cluster(s)", deleted, names.size());
  return absl::OkStatus();
}

absl::Status RestartPlatformPods(DrContext& context, StepRun& run, bool standby,
                                 const std::vector<std::string>& services) {
  auto deleted = DeleteServicePods(context.client(standby), "", services, run.out);
  if (!deleted.ok()) return deleted.status();
  run.record().message = *deleted == 0 ? "no such pods (components not installed)"
                                       : fmt::format("{} pod(s) restarted", *deleted);
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
  if (!plugin->is_null()) {
    // The saved object synced from the old primary; the new direction is from the new one.
    std::string note;
    auto reversed = ReversedPluginConfig(*plugin, context.options().primary_vip,
                                         context.options().primary_etcd_endpoints, &note);
    if (!reversed.ok()) return reversed.status();
    *plugin = std::move(*reversed);
    run.out << "      " << note << "\n";
  }
  // The old primary becomes this pair's standby (violet warns on pushes to it).
  RETURN_IF_ERROR(MarkRole(context, run, false, platform::kDrRolePrimary));
  RETURN_IF_ERROR(MarkRole(context, run, true, platform::kDrRoleStandby));
  return ReinstallSyncPlugin(context, run, *plugin);
}

}  // namespace dr
