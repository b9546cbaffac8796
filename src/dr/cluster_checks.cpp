#include "dr/cluster_checks.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dr/monitor_client.h"
#include "platform/resources.h"

namespace dr {

absl::Status ProbeTcp(const std::string& endpoint, std::chrono::milliseconds timeout) {
  std::string rest = endpoint;
  if (auto scheme = rest.find("://"); scheme != std::string::npos) rest = rest.substr(scheme + 3);
  if (auto slash = rest.find('/'); slash != std::string::npos) rest = rest.substr(0, slash);
  std::string host = rest, port = "2379";
  if (!rest.empty() && rest[0] == '[') {
    const auto close = rest.find(']');
    if (close == std::string::npos) return absl::InvalidArgumentError("unclosed [ in the address");
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':') port = rest.substr(close + 2);
  } else if (std::count(rest.begin(), rest.end(), ':') == 1) {
    host = rest.substr(0, rest.find(':'));
    port = rest.substr(rest.find(':') + 1);
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int error = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); error != 0) {
    return absl::UnavailableError(fmt::format("cannot resolve {}: {}", host, gai_strerror(error)));
  }
  std::string last = "no address";
  for (addrinfo* address = found; address; address = address->ai_next) {
    int fd = socket(address->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    int result = connect(fd, address->ai_addr, address->ai_addrlen);
    if (result != 0 && errno == EINPROGRESS) {
      pollfd wait{fd, POLLOUT, 0};
      if (poll(&wait, 1, static_cast<int>(timeout.count())) == 1) {
        int error = 0;
        socklen_t length = sizeof(error);
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
        result = error == 0 ? 0 : -1;
        errno = error;
      } else {
        errno = ETIMEDOUT;
      }
    }
    const int saved = errno;
    close(fd);
    if (result == 0) {
      freeaddrinfo(found);
      return absl::OkStatus();
    }
    last = std::strerror(saved);
  }
  freeaddrinfo(found);
  return absl::UnavailableError(last);
}

CheckReport RunDrCheck(DrContext& context, const CheckScope& scope) {
  CheckReport report;
  auto monitor_url = context.MonitorUrl();
  if (scope.consistency) {
    if (!monitor_url.ok()) {
      report.gates.push_back(ConsistencyUnreachable(monitor_url.status(), "(unknown)"));
    } else {
      MonitorClient monitor(*monitor_url, context.options().monitor_token);
      auto response = monitor.Check();
      report.gates.push_back(
          response.ok() ? EvaluateConsistency(response->status, response->body, *monitor_url)
                        : ConsistencyUnreachable(response.status(), *monitor_url));
    }
  }
  if (scope.primary_machines) {
    report.gates.push_back(
        EvaluateMachines("primary", context.primary_client().List(platform::kMachines, "")));
  }
  report.gates.push_back(
      EvaluateMachines("standby", context.standby_client().List(platform::kMachines, "")));
  if (scope.alternative_urls) {
    report.gates.push_back(EvaluateAlternativeUrls(
        "standby", context.standby_client().Get(platform::kProductBases, "", "base"),
        context.options().standby_vip));
  }
  absl::StatusOr<std::string> metrics = absl::UnavailableError("not read");
  if (scope.etcd_reachable || scope.sync_leader) {
    metrics = monitor_url.ok()
                  ? MonitorClient(*monitor_url, context.options().monitor_token).Metrics()
                  : absl::StatusOr<std::string>(monitor_url.status());
  }
  if (scope.etcd_reachable) report.gates.push_back(EvaluateSourceUp(metrics));
  if (scope.sync_leader) {
    report.gates.push_back(EvaluateSyncLeader(
        metrics, context.standby_client().Get(platform::kLeases, platform::kPlatformNamespace,
                                              "etcd-sync-mirror")));
  }
  return report;
}

}  // namespace dr
