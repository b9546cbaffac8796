// The ExecCredential JSON a kubeconfig exec plugin prints.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "k8s/exec_credential.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view output(reinterpret_cast<const char*>(data), size);
  (void)k8s::ParseExecCredential(output, "client.authentication.k8s.io/v1", "fuzz plugin");
  (void)k8s::ParseExecCredential(output, "client.authentication.k8s.io/v1beta1", "fuzz plugin");
  return 0;
}
