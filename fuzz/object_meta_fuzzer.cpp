// Kubernetes object metadata from an etcd value: protobuf ("k8s\0" envelope) or JSON. A JSON
// value must also read the same as with a whole parsed document (the streaming readers against
// their reference): a difference aborts, like a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "../tests/support/json_meta_reference.h"
#include "k8s/object_meta.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view value(reinterpret_cast<const char*>(data), size);
  (void)k8s::ReadObjectMeta(value);
  (void)k8s::ReadPodNodeName(value);
  if (!value.empty() && value.front() == '{') {
    const std::string differs = testing_support::JsonReadersDisagree(value);
    if (!differs.empty()) {
      std::fprintf(stderr, "JSON readers disagree with the reference: %s\n", differs.c_str());
      std::abort();
    }
  }
  return 0;
}
