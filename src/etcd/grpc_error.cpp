#include "etcd/grpc_error.h"

#include <fmt/format.h>

#include "absl/strings/match.h"
#include "common/absl_fmt.h"

namespace etcd {
namespace {

absl::StatusCode ToAbslCode(grpc::StatusCode code) {
  return static_cast<absl::StatusCode>(static_cast<int>(code));
}

std::string Hint(const grpc::Status& status, const CallSite& site) {
  const std::string& msg = status.error_message();
  const std::string prefix(site.flag_prefix);
  // A server that requires a client certificate completes the TLS 1.3 handshake, then
  // closes the connection: gRPC sees a read failure, not a handshake error.
  if (site.tls && !site.client_certificate &&
      (absl::StrContains(msg, "certificate required") ||
       absl::StrContains(msg, "CERTIFICATE_REQUIRED") ||
       absl::StrContains(msg, "Endpoint read failed") || absl::StrContains(msg, "Socket closed") ||
       absl::StrContains(msg, "Connection reset"))) {
    return fmt::format("{}{}{}{}{}",
                       "the server closed the TLS connection: it requires a client certificate "
                       "— set ",
                       prefix, "cert and ", prefix, "key");
  }
  if (absl::StrContains(msg, "CERTIFICATE_VERIFY_FAILED") ||
      absl::StrContains(msg, "certificate verify failed")) {
    return fmt::format("{}{}{}", "TLS handshake failed: server certificate not trusted — check ",
                       prefix, "cacert");
  }
  if (absl::StrContains(msg, "Ssl handshake failed") || absl::StrContains(msg, "SSL_ERROR") ||
      absl::StrContains(msg, "WRONG_VERSION_NUMBER") || absl::StrContains(msg, "handshake")) {
    return fmt::format("{}{}{}{}{}{}{}",
                       "TLS handshake failed — check that the endpoint speaks TLS and ", prefix,
                       "cacert, ", prefix, "cert, ", prefix, "key");
  }
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    if (absl::StrContains(msg, "Socket closed") || absl::StrContains(msg, "Connection reset")) {
      return fmt::format("{}{}{}{}{}{}{}",
                         "connection closed by the server — if it requires TLS, give ", prefix,
                         "cacert (and ", prefix, "cert/", prefix, "key for client auth)");
    }
    return fmt::format("{}{}{}", "unreachable — check ", prefix,
                       "endpoints and that etcd is running");
  }
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return fmt::format("{}{}{}", "timed out — check ", prefix, "endpoints and the network path");
  }
  if (absl::StrContains(msg, "database space exceeded")) {
    return "the etcd is out of space (NOSPACE alarm): compact it, defragment every member, then "
           "`etcdctl alarm disarm`; or raise its --quota-backend-bytes";
  }
  if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
      status.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
      absl::StrContains(msg, "user name is empty") ||
      absl::StrContains(msg, "authentication failed") ||
      absl::StrContains(msg, "permission denied")) {
    const std::string password =
        site.password_source.empty() ? prefix + "password-file" : std::string(site.password_source);
    return fmt::format("{}{}{}{}{}{}{}", "not authorised — check ", prefix,
                       "user and its password (", password, "), or ", prefix, "cert");
  }
  return "";
}

}  // namespace

absl::Status FromGrpc(const grpc::Status& status, const CallSite& site) {
  if (status.ok()) return absl::OkStatus();
  std::string hint = Hint(status, site);
  std::string text = fmt::format("{}{}{}{}{}{}{}", site.cluster, " ", site.endpoint, ": ",
                                 site.operation, ": ", status.error_message());
  if (!hint.empty()) text += fmt::format("{}{}{}", " (", hint, ")");
  return absl::Status(ToAbslCode(status.error_code()), text);
}

bool IsRetriable(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return true;
    default:
      break;
  }
  const std::string& msg = status.error_message();
  return absl::StrContains(msg, "no leader") || absl::StrContains(msg, "leader changed") ||
         absl::StrContains(msg, "timed out") || absl::StrContains(msg, "too many requests");
}

bool IsCompacted(const absl::Status& status) {
  return absl::StrContains(status.message(), "required revision has been compacted");
}

bool IsRequestTooLarge(const absl::Status& status) {
  // The second form is gRPC's own limit (etcd sets it to --max-request-bytes + 512 KiB).
  return !status.ok() && (absl::StrContains(status.message(), "request is too large") ||
                          absl::StrContains(status.message(), "received message larger than max"));
}

}  // namespace etcd
