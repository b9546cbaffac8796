// Reads the standby's etcd-sync-monitor (cmd/etcd-sync's /check, /metrics, /healthz):
// the consistency report, whether a leader finished its initial copy, whether it answers.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "common/secret.h"
#include "k8s/rest_client.h"

namespace dr {

// --monitor-token-file: the monitor's bearer token (etcd-sync --monitor-token-file guards
// /check with it), the file's first line without surrounding spaces. Refused (InvalidArgument,
// one line naming the file, never the token): not a regular file, more than 4096 bytes,
// readable or writable by group or others (chmod 600), empty, not printable ASCII.
absl::StatusOr<common::Secret> ReadMonitorTokenFile(const std::string& path);

class MonitorClient {
 public:
  // `token`: sent as "Authorization: Bearer" when set (never logged).
  explicit MonitorClient(std::string url, common::Secret token = common::Secret());

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
