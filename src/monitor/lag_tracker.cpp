#include "monitor/lag_tracker.h"

namespace monitor {

void Reachability::Record(double now, bool answered) {
  last_answered_ = answered;
  if (answered) last_ok_ = now;
}

bool Reachability::Up(double now, double stale_after) const {
  return last_answered_ && now - last_ok_ <= stale_after;
}

double Reachability::UnreachableFor(double now, double stale_after) const {
  return Up(now, stale_after) ? 0 : now - last_ok_;
}

void LagTracker::Pending(double now, int64_t newest_pending_revision) {
  if (!pending_.empty() && newest_pending_revision <= pending_.back().second) return;
  if (pending_.size() >= kMaxEntries) {
    // Full: the newest entry stands for more changes and keeps its (older) time, so the
    // estimate errs on the side of more lag.
    pending_.back().second = newest_pending_revision;
    return;
  }
  pending_.emplace_back(now, newest_pending_revision);
}

double LagTracker::LaggingFor(double now, int64_t applied_revision) {
  while (!pending_.empty() && pending_.front().second <= applied_revision) pending_.pop_front();
  return pending_.empty() ? 0 : now - pending_.front().first;
}

}  // namespace monitor
