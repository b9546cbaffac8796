// Reads the standby's etcd-sync-monitor (cmd/etcd-sync's /check, /metrics, /healthz):
// the consistency report, whether a leader finished its initial copy, whether it answers.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "k8s/rest_client.h"

namespace dr {

class MonitorClient {
 public:
  explicit MonitorClient(std::string url);

  // GET /check?format=json; any HTTP answer is returned, an unreachable monitor is an error.
  absl::StatusOr<k8s::RestResponse> Check();
  absl::StatusOr<std::string> Metrics();
  // True when the monitor answers /healthz at all.
  bool Answers();
  // `Start Sync update` has happened on the replica that answers (it holds the leader lease
  // and its initial copy is done: /readyz is also 200 on a replica standing by, so it cannot
  // say this) and no synced key changed on the primary after the applied revision
  // (etcd_sync_lag_events 0), so a /check now compares settled data.
  bool SyncCaughtUp();

  const std::string& url() const { return url_; }

 private:
  std::string url_;
  k8s::RestClient check_client_;  // a long timeout: /check reads both etcds in full
  k8s::RestClient quick_client_;
};

}  // namespace dr
