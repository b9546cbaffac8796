// etcd-sync's --rules YAML, then the filter it builds applied to a few keys.
#include <cstddef>
#include <cstdint>
#include <string>

#include "sync/sync_rules.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto rules =
      etcdsync::ParseSyncRules(std::string(reinterpret_cast<const char*>(data), size), "fuzz.yaml");
  if (!rules.ok()) return 0;
  etcdsync::KubernetesKeyFilter filter("/registry", *rules);
  for (const char* key : {"/registry/secrets/kube-system/a", "/registry/events/default/e",
                          "/registry/apps/deployments/ns/d", "/registry", "/registry/",
                          "/other/key", "/registry/a.example.com/things/ns/x"}) {
    filter.Includes(key);
  }
  return 0;
}
