// etcd-sync's metrics in the Prometheus text exposition format.
#pragma once

#include <optional>
#include <string>

#include "sync/consistency_check.h"
#include "sync/sync_stats.h"

namespace monitor {

struct LastCheck {
  std::optional<etcdsync::CheckReport> report;  // the last successful periodic check
  double finished_unix_seconds = 0;
  int64_t failures = 0;
};

struct ScrapeTimeFacts {
  int64_t source_revision = -1;  // -1: the source did not answer
  int64_t lag_events = -1;       // in-scope source keys changed after the applied revision
  double lag_seconds = 0;        // age of the oldest received, unapplied source change
};

std::string RenderMetrics(const etcdsync::SyncStats& stats, const ScrapeTimeFacts& facts,
                          const LastCheck& check);

}  // namespace monitor
