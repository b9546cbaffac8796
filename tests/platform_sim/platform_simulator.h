// TEST STAND-IN for the platform's controllers (not a product): polls one stand-in cluster
// and moves statuses the way ACP's operators would — the CVO walking a requested upgrade
// through its stages, ModuleInfo reporting the version it was set to. Contract: README.md.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "k8s/rest_client.h"

namespace platform_sim {

struct SimOptions {
  std::chrono::milliseconds tick{100};  // one stage step per tick
};

class PlatformSimulator {
 public:
  explicit PlatformSimulator(k8s::RestConfig cluster, SimOptions options = {});
  ~PlatformSimulator();
  PlatformSimulator(const PlatformSimulator&) = delete;
  PlatformSimulator& operator=(const PlatformSimulator&) = delete;

  void Start();
  void Stop();
  // One pass over the cluster (what the thread does each tick); tests may call it directly.
  void Tick();

 private:
  void TickClusterVersions();
  void TickModuleInfos();
  void AdvanceUpgrade(nlohmann::json& cvsh, const std::string& desired);

  k8s::RestClient client_;
  SimOptions options_;
  std::mutex tick_mutex_;
  std::jthread thread_;
};

}  // namespace platform_sim
