// What the monitor can tell about lag without the engine's help, so that a follower, or a
// leader whose source went quiet, reports it truthfully: how long an etcd has been out of
// reach, and how long a source change seen pending has waited to be applied. Pure: time
// comes in as steady-clock seconds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <utility>

namespace monitor {

// One etcd's answers to the periodic probe.
class Reachability {
 public:
  // `start`: when watching began; an etcd never reached counts as unreachable since then.
  explicit Reachability(double start) : last_ok_(start) {}

  void Record(double now, bool answered);
  // Answered the last probe, and recently enough (`stale_after`): a probe stuck on a hung
  // etcd does not keep the last good answer alive.
  bool Up(double now, double stale_after) const;
  // 0 while up; else seconds since the last answer (or since start).
  double UnreachableFor(double now, double stale_after) const;

 private:
  double last_ok_;
  bool last_answered_ = false;
};

// Source changes seen pending (by revision) and when they were first seen.
class LagTracker {
 public:
  // At `now`, in-scope source changes up to `newest_pending_revision` were not applied.
  void Pending(double now, int64_t newest_pending_revision);
  // Seconds since the oldest recorded pending change that `applied_revision` does not
  // cover yet; 0 when every recorded change is applied. Forgets what is covered.
  double LaggingFor(double now, int64_t applied_revision);

  static constexpr size_t kMaxEntries = 1024;

 private:
  std::deque<std::pair<double, int64_t>> pending_;  // (first seen, revision), both rising
};

}  // namespace monitor
