// An etcd endpoint as operators write it: "host:port", "http://host:port",
// "https://host:port", "[::1]:2379". Parsing is strict so typos fail at start-up.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace etcd {

struct Endpoint {
  enum class Scheme { kUnspecified, kHttp, kHttps };
  Scheme scheme = Scheme::kUnspecified;
  std::string host;  // without brackets for IPv6
  int port = 0;

  // "host:port" as gRPC wants it (IPv6 in brackets).
  std::string Target() const;
  // As the operator would recognise it, for logs and errors.
  std::string ToString() const;
};

// `allow_port_zero`: for listen addresses, where port 0 means "pick a free one".
absl::StatusOr<Endpoint> ParseEndpoint(std::string_view text, bool allow_port_zero = false);
// Comma-separated list; empty items are rejected.
absl::StatusOr<std::vector<Endpoint>> ParseEndpoints(std::string_view comma_list);

}  // namespace etcd
