// Reading an etcd-sync process's monitor in integration tests: where it listens (from its
// log) and the value of an unlabelled metric line in a /metrics body.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "support/child_process.h"

namespace testing_support {

// The value of an unlabelled metric line `name value`, or nullopt when absent.
std::optional<double> Metric(const std::string& text, const std::string& name);

// The Range calls an etcd at `etcd_url` has answered (its grpc_server_handled_total for
// KV.Range with code OK); -1 and a test failure when its /metrics has no such line.
int64_t EtcdRangeCalls(const std::string& etcd_url);

// The monitor's base URL ("http://host:port") from the "etcd-sync-monitor listening on" line
// of an etcd-sync log (waits up to 20 s for it; "" and a test failure when it never comes).
std::string MonitorBase(ChildProcess& sync);

}  // namespace testing_support
