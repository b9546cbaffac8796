#include "monitor/lag_history.h"

#include <nlohmann/json.hpp>

namespace monitor {

void LagHistory::Add(const LagSample& sample) {
  std::lock_guard lock(mutex_);
  if (ring_.size() < capacity_) {
    ring_.push_back(sample);
    return;
  }
  ring_[next_] = sample;
  next_ = (next_ + 1) % capacity_;
}

std::vector<LagSample> LagHistory::Samples() const {
  std::lock_guard lock(mutex_);
  std::vector<LagSample> ordered;
  ordered.reserve(ring_.size());
  for (size_t i = 0; i < ring_.size(); ++i) ordered.push_back(ring_[(next_ + i) % ring_.size()]);
  return ordered;
}

std::string LagHistory::ToJson(int interval_seconds) const {
  nlohmann::json samples = nlohmann::json::array();
  for (const LagSample& sample : Samples()) {
    samples.push_back({
        {"t", sample.unix_seconds},
        {"lag_seconds", sample.lag_seconds},
        {"lag_events",
         sample.lag_events >= 0 ? nlohmann::json(sample.lag_events) : nlohmann::json(nullptr)},
        {"applied_revision", sample.applied_revision},
        {"source_up", sample.source_up},
        {"dest_up", sample.dest_up},
        {"leader", sample.leader},
    });
  }
  nlohmann::json out = {{"interval_seconds", interval_seconds},
                        {"capacity", capacity_},
                        {"samples", std::move(samples)}};
  return out.dump() + "\n";
}

}  // namespace monitor
