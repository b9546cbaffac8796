// --monitor-listen as operators write it: "0.0.0.0:8080", "[::]:8080", "[fd00::1]:8080",
// "10.0.0.5:8080", and the same with an address Kubernetes substituted from the Pod's
// environment ("$(POD_IP):8080", or "[$(POD_IP)]:8080", which fits IPv4 and IPv6 alike).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace monitor {

struct ListenAddress {
  std::string host;  // an IP literal or a host name, IPv6 without brackets
  int port = 0;      // 0: pick a free port

  // "host:port", IPv6 in brackets (as curl -g and browsers want it).
  std::string ToString() const;
};

// One line naming the problem and the form to use, e.g. for an IPv6 address without
// brackets or a $(VAR) that Kubernetes left unexpanded.
absl::StatusOr<ListenAddress> ParseListenAddress(std::string_view text);

}  // namespace monitor
