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

// What the monitor knows at scrape time, from memory only (probes fill it in the
// background, so a hung etcd cannot make a scrape hang).
struct ScrapeTimeFacts {
  bool leader = false;
  // Leader: the engine's own state; follower: the destination's checkpoint says "live".
  bool initial_copy_done = false;
  // Leader: the engine's own; follower: from the checkpoint in the destination.
  int64_t applied_revision = 0;
  int64_t source_revision = -1;  // -1: the source does not answer
  int64_t lag_events = -1;       // in-scope source keys changed after the applied revision
  // The largest of: the age of the oldest received, unapplied change (leader); how long a
  // source change seen pending has waited; how long the source has been unreachable.
  double lag_seconds = 0;
  bool source_up = false;
  bool dest_up = false;
  double source_unreachable_seconds = 0;
  double dest_unreachable_seconds = 0;
  // Leader only, once live replication wrote a change.
  std::optional<double> seconds_since_last_applied_event;
};

// Which etcd-sync serves the metrics: etcd_sync_build_info{version,commit} 1. The main fills
// it in (the engine does not know the build); empty fields show as "unknown".
struct BuildInfo {
  std::string version;
  std::string commit;
};

std::string RenderMetrics(const etcdsync::SyncStats& stats, const ScrapeTimeFacts& facts,
                          const LastCheck& check, const BuildInfo& build = {});

}  // namespace monitor
