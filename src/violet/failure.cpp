#include "violet/failure.h"

#include <fmt/format.h>

#include "common/absl_fmt.h"

namespace violet {

Outcome::Outcome(FailureKind kind, absl::Status status) : kind_(kind), status_(std::move(status)) {
  if (status_.ok()) status_ = absl::InternalError("a failure without a message (a violet bug)");
}

namespace {

bool IsCredentialsRefused(const absl::Status& status) {
  return absl::IsUnauthenticated(status) || absl::IsPermissionDenied(status);
}

}  // namespace

Outcome ClusterFailure(const absl::Status& status, const platform::Connection& connection) {
  if (IsCredentialsRefused(status)) {
    return Outcome(
        FailureKind::kCredentialsRefused,
        absl::Status(status.code(),
                     fmt::format("the platform refused the credentials ({}); {}",
                                 common::View(status.message()),
                                 connection.platform_token.empty()
                                     ? "check --platform-username/--platform-password (a local "
                                       "user; IdP users need --platform-token)"
                                     : "check --platform-token (Profile > API Tokens)")));
  }
  return Outcome(FailureKind::kClusterUnreachable, status);
}

Outcome RegistryFailure(const absl::Status& status, bool connecting) {
  if (IsCredentialsRefused(status)) return Outcome(FailureKind::kCredentialsRefused, status);
  return Outcome(connecting ? FailureKind::kRegistryUnreachable : FailureKind::kStep, status);
}

}  // namespace violet
