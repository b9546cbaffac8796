// A kubeconfig (clusters, users incl. exec, contexts) from its text.
#include <cstddef>
#include <cstdint>
#include <string>

#include "k8s/rest_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)k8s::ParseKubeconfig(std::string(reinterpret_cast<const char*>(data), size),
                             "/nonexistent/fuzz/kubeconfig");
  return 0;
}
