// --dest-repo and the platform registry's address as a registry host: "host[:port]" with a
// DNS name, IPv4 or a bracketed IPv6 literal ("[fd00::1]:11443"); http:// means --plain.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace violet {

struct RegistryAddress {
  std::string host;    // "harbor.demo.io", "10.0.0.1:11443", "[fd00::1]:11443"
  bool plain = false;  // the address said http://
};

// Errors name `flag` and show the accepted forms.
absl::StatusOr<RegistryAddress> ParseRegistryAddress(const std::string& text,
                                                     const std::string& flag);

}  // namespace violet
