// `ac adm dr check`: reads the monitor, both clusters and the etcd endpoints and turns them
// into the gates of gates.h (consistency, Machines, alternativeURLs, 2379, sync leader).
#pragma once

#include <chrono>
#include <string>

#include "absl/status/status.h"
#include "dr/dr_context.h"
#include "dr/gates.h"

namespace dr {

struct CheckScope {
  bool consistency = true;
  bool primary_machines = true;  // false when the primary is lost (failover)
  bool alternative_urls = true;
  bool etcd_reachable = true;
  bool sync_leader = true;
};

CheckReport RunDrCheck(DrContext& context, const CheckScope& scope = {});

// A TCP connect to "https://host:port", "host:port" or "[v6]:port" (default port 2379).
absl::Status ProbeTcp(const std::string& endpoint, std::chrono::milliseconds timeout);

}  // namespace dr
