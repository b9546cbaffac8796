#include "dr/monitor_client.h"

#include <fmt/format.h>

#include "dr/gates.h"

namespace dr {
namespace {

k8s::RestConfig MonitorConfig(const std::string& url) {
  k8s::RestConfig config;
  config.server = url;
  config.source = "etcd-sync-monitor " + url;
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

MonitorClient::MonitorClient(std::string url)
    : url_(std::move(url)),
      check_client_(MonitorConfig(url_), std::chrono::minutes(15)),
      quick_client_(MonitorConfig(url_), std::chrono::seconds(5)) {}

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
