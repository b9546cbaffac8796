// The Prometheus text of etcd-sync-monitor's /metrics as the DR gates read it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "dr/gates.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string metrics(reinterpret_cast<const char*>(data), size);
  for (const char* name : {"etcd_sync_leader", "etcd_sync_lag_seconds", "etcd_sync_ready", ""}) {
    (void)dr::MetricValue(metrics, name);
  }
  return 0;
}
