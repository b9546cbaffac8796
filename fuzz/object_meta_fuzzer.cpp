// Kubernetes object metadata from an etcd value: protobuf ("k8s\0" envelope) or JSON.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "k8s/object_meta.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)k8s::ReadObjectMeta(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
