#include "monitor/metrics_text.h"

#include <fmt/format.h>

namespace monitor {
namespace {

void Metric(std::string& out, const char* name, const char* type, const char* help, double value) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, value);
}

void Histogram(std::string& out, const char* name, const char* help,
               const etcdsync::LatencyHistogram::Snapshot& snapshot) {
  out += fmt::format("# HELP {} {}\n# TYPE {} histogram\n", name, help, name);
  const auto& bounds = etcdsync::LatencyHistogram::kBounds;
  for (size_t i = 0; i < bounds.size(); ++i) {
    out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, bounds[i], snapshot.cumulative[i]);
  }
  out += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n", name, snapshot.count);
  out += fmt::format("{}_sum {}\n{}_count {}\n", name, snapshot.sum_seconds, name, snapshot.count);
}

// A label value in the exposition format: backslash, double quote and newline escaped.
std::string LabelValue(const std::string& value) {
  std::string out;
  for (char c : value.empty() ? std::string("unknown") : value) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::string RenderMetrics(const etcdsync::SyncStats& stats, const ScrapeTimeFacts& facts,
                          const LastCheck& check, const BuildInfo& build) {
  std::string out;
  out += fmt::format(
      "# HELP etcd_sync_build_info the etcd-sync build serving these metrics (always 1)\n"
      "# TYPE etcd_sync_build_info gauge\n"
      "etcd_sync_build_info{{version=\"{}\",commit=\"{}\"}} 1\n",
      LabelValue(build.version), LabelValue(build.commit));
  auto gauge = [&](const char* name, const char* help, double value) {
    Metric(out, name, "gauge", help, value);
  };
  auto counter = [&](const char* name, const char* help, double value) {
    Metric(out, name, "counter", help, value);
  };
  gauge("etcd_sync_leader", "1 when this replica holds the leader lease", facts.leader ? 1 : 0);
  counter("etcd_sync_leader_lease_publish_failures_total",
          "attempts to publish the leader Lease on the standby's API that failed (replication "
          "goes on)",
          static_cast<double>(stats.lease_publish_failures.load()));
  gauge("etcd_sync_leader_lease_last_publish_timestamp_seconds",
        "when this replica last published the leader Lease (unix time; 0: never)",
        static_cast<double>(stats.lease_published_unix_ms.load()) / 1000.0);
  gauge("etcd_sync_source_up",
        "1 when the source etcd answered the last probe (a short-deadline read every few seconds)",
        facts.source_up ? 1 : 0);
  gauge("etcd_sync_dest_up", "1 when the destination etcd answered the last probe",
        facts.dest_up ? 1 : 0);
  gauge("etcd_sync_initial_copy_done",
        "1 once the initial copy finished and live sync runs (followers: the destination's "
        "checkpoint says so)",
        facts.initial_copy_done ? 1 : 0);
  gauge("etcd_sync_applied_revision",
        "last source revision applied to the destination (followers: from its checkpoint)",
        static_cast<double>(facts.applied_revision));
  if (facts.source_revision >= 0) {
    gauge("etcd_sync_source_revision", "current revision of the source etcd",
          static_cast<double>(facts.source_revision));
  }
  if (facts.lag_events >= 0) {
    gauge("etcd_sync_lag_events",
          "synced-scope source keys changed after the applied revision (not yet replicated)",
          static_cast<double>(facts.lag_events));
  }
  gauge("etcd_sync_lag_seconds",
        "how far the destination is behind: the age of the oldest source change not yet "
        "applied, and at least how long the source has been unreachable",
        facts.lag_seconds);
  if (facts.seconds_since_last_applied_event) {
    gauge("etcd_sync_seconds_since_last_applied_event",
          "seconds since live replication last wrote a source change (leader only)",
          *facts.seconds_since_last_applied_event);
  }
  counter("etcd_sync_watch_restarts_total",
          "times live replication reopened its source watch (after an error, a resync or a "
          "change of leader)",
          static_cast<double>(stats.watch_restarts.load()));
  Histogram(out, "etcd_sync_apply_duration_seconds",
            "time to write one batch of source changes to the destination (live replication)",
            stats.apply_duration.Read());
  counter("etcd_sync_events_applied_total", "source changes applied by live replication",
          static_cast<double>(stats.events_applied.load()));
  counter("etcd_sync_bytes_applied_total", "key and value bytes applied by live replication",
          static_cast<double>(stats.bytes_applied.load()));
  counter("etcd_sync_txns_total", "destination Txns written by live replication",
          static_cast<double>(stats.txns_applied.load()));
  counter("etcd_sync_split_revisions_total", "source revisions too large for one destination Txn",
          static_cast<double>(stats.split_revisions.load()));
  counter("etcd_sync_full_syncs_total", "initial copies and resyncs started",
          static_cast<double>(stats.full_syncs.load()));
  counter("etcd_sync_copy_keys_written_total", "puts and deletes written by full syncs",
          static_cast<double>(stats.copy_keys_written.load()));
  gauge("etcd_sync_held_objects", "dependents held back until their owners are replicated",
        static_cast<double>(stats.held_objects.load()));
  counter("etcd_sync_held_released_on_timeout_total",
          "held dependents written without their owners after the hold timeout",
          static_cast<double>(stats.held_released_on_timeout.load()));
  counter("etcd_sync_lease_keys_skipped_total", "lease-bound source keys not replicated",
          static_cast<double>(stats.lease_keys_skipped.load()));
  counter("etcd_sync_unwritable_values_total",
          "source values no destination Txn can carry (raise the destination's "
          "--max-request-bytes); skipped and listed by /check",
          static_cast<double>(stats.unwritable_values.load()));
  counter("etcd_sync_too_large_to_hold_total",
          "objects written without waiting for their owners because their held copy would "
          "not fit a Txn",
          static_cast<double>(stats.too_large_to_hold.load()));
  counter("etcd_sync_local_values_skipped_total",
          "cluster-local values not replicated (Pods bound to a node, unless syncBoundPods)",
          static_cast<double>(stats.local_values_skipped.load()));
  counter("etcd_sync_reconcile_passes_total",
          "reconcile passes run by the leader (on becoming leader, and each periodic check)",
          static_cast<double>(stats.reconcile_passes.load()));
  counter("etcd_sync_reconcile_repairs_total",
          "missed or stale standby keys written from the source by reconcile passes",
          static_cast<double>(stats.reconcile_repairs.load()));
  gauge("etcd_sync_reconcile_surplus_keys",
        "last reconcile pass: keys only the standby has, kept (listed by /check)",
        static_cast<double>(stats.reconcile_surplus_kept.load()));
  gauge("etcd_sync_contested_keys",
        "keys repaired too often (the standby keeps undoing them): no longer repaired, listed "
        "by /check",
        static_cast<double>(stats.contested_keys.load()));
  counter("etcd_sync_check_failures_total", "periodic consistency checks that failed to run",
          static_cast<double>(check.failures));
  if (check.report) {
    gauge("etcd_sync_check_missed_keys", "last check: keys on the source missing on the standby",
          static_cast<double>(check.report->missed));
    gauge("etcd_sync_check_surplus_keys", "last check: keys only the standby has",
          static_cast<double>(check.report->surplus));
    gauge("etcd_sync_check_stale_keys", "last check: keys whose values differ",
          static_cast<double>(check.report->stale));
    gauge("etcd_sync_check_duration_seconds", "last check: how long it took",
          check.report->seconds);
    gauge("etcd_sync_check_timestamp_seconds", "last check: when it finished (unix time)",
          check.finished_unix_seconds);
  }
  return out;
}

}  // namespace monitor
