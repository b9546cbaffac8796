#include "dr/monitor_client.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/regular_file.h"
#include "dr/gates.h"

namespace dr {
namespace {

k8s::RestConfig MonitorConfig(const std::string& url, const common::Secret& token) {
  k8s::RestConfig config;
  config.server = url;
  config.source = "etcd-sync-monitor " + url;
  config.token = token;
  return config;
}

// The REST client words a network failure for an API server; say it for the monitor.
absl::Status NoAnswer(const std::string& url, const std::string& path, const absl::Status& error) {
  std::string cause(error.message());
  if (auto detail = cause.find("): "); detail != std::string::npos)
    cause = cause.substr(detail + 3);
  return absl::UnavailableError(fmt::format("no answer from {}{}: {}", url, path, cause));
}

}  // namespace

absl::StatusOr<common::Secret> ReadMonitorTokenFile(const std::string& path) {
  constexpr size_t kMaxTokenBytes = 4096;
  const std::string what = "--monitor-token-file " + path;
  auto fd = common::OpenRegularFile(path, what);
  if (!fd.ok()) return absl::InvalidArgumentError(fd.status().message());
  struct stat info {};
  const int got = fstat(*fd, &info);
  close(*fd);
  if (got != 0) return absl::InvalidArgumentError(what + " cannot be read");
  if ((info.st_mode & 077) != 0) {
    return absl::InvalidArgumentError(fmt::format(
        "{} is open to group or others (mode {:04o}); the token must be the owner's only: chmod "
        "600 it",
        what, info.st_mode & 07777));
  }
  auto text = common::ReadRegularFile(path, kMaxTokenBytes, what);
  if (!text.ok()) return absl::InvalidArgumentError(text.status().message());
  std::string token = text->substr(0, text->find('\n'));
  const auto first = token.find_first_not_of(" \t\r");
  token = first == std::string::npos ? "" : token.substr(first);
  token.erase(token.find_last_not_of(" \t\r") + 1);
  if (token.empty()) {
    return absl::InvalidArgumentError(what + " is empty; put the token on its first line");
  }
  for (char c : token) {
    if (c <= ' ' || c > '~') {
      return absl::InvalidArgumentError(
          what +
          ": the token must be printable ASCII without spaces (as an HTTP header carries it)");
    }
  }
  return common::Secret(std::move(token));
}

MonitorClient::MonitorClient(std::string url, common::Secret token)
    : url_(std::move(url)),
      check_client_(MonitorConfig(url_, token), std::chrono::minutes(15)),
      quick_client_(MonitorConfig(url_, token), std::chrono::seconds(5)) {}

absl::StatusOr<k8s::RestResponse> MonitorClient::Check() {
  auto response = check_client_.Perform("GET", "/check?format=json");
  if (!response.ok()) return NoAnswer(url_, "/check", response.status());
  return response;
}

absl::StatusOr<std::string> MonitorClient::Metrics() {
  auto response = quick_client_.Perform("GET", "/metrics");
  if (!response.ok()) return NoAnswer(url_, "/metrics", response.status());
  if (response->status != 200) {
    return absl::UnavailableError(
        fmt::format("{}/metrics answered HTTP {}", url_, response->status));
  }
  return response->body;
}

bool MonitorClient::Answers() {
  auto response = quick_client_.Perform("GET", "/healthz");
  return response.ok() && response->status == 200;
}

bool MonitorClient::SyncCaughtUp() {
  auto metrics = Metrics();
  if (!metrics.ok()) return false;
  return MetricValue(*metrics, "etcd_sync_leader").value_or(0) == 1 &&
         MetricValue(*metrics, "etcd_sync_initial_copy_done").value_or(0) == 1 &&
         MetricValue(*metrics, "etcd_sync_lag_events").value_or(1) == 0;
}

}  // namespace dr
