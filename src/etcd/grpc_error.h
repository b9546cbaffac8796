// Turns a failed gRPC call into one line an operator can act on: which cluster, which
// endpoint, what went wrong, and which flag to check.
#pragma once

#include <grpcpp/grpcpp.h>

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace etcd {

struct CallSite {
  std::string_view cluster;               // "source etcd" / "destination etcd"
  std::string_view endpoint;              // as the operator wrote it
  std::string_view flag_prefix;           // "--source-" / "--dest-"
  std::string_view operation;             // "Range", "Txn", ...
  std::string_view password_source = {};  // "--source-password-file or $ETCD_SYNC_..."
  bool tls = false;                       // whether the connection uses TLS
  bool client_certificate = false;        // whether a client certificate was presented
};

absl::Status FromGrpc(const grpc::Status& status, const CallSite& site);

// Errors worth retrying on another endpoint: connection trouble, lost leader, timeouts.
bool IsRetriable(const grpc::Status& status);

// etcd's "required revision has been compacted" (Range/Watch below the compaction point).
bool IsCompacted(const absl::Status& status);

// etcd's "request is too large": the request is over the server's --max-request-bytes.
bool IsRequestTooLarge(const absl::Status& status);

}  // namespace etcd
