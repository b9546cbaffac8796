// How a violet command ends: ok, or its first failure as a kind (which row of the exit-code
// table it is; the main maps kinds to codes) and one line saying what failed and what to do.
#pragma once

#include "absl/status/status.h"
#include "platform/connection.h"

namespace violet {

enum class FailureKind {
  kStep,                 // a request failed at run time; re-running retries
  kUsage,                // bad flags or configuration (a kubeconfig, a cluster name)
  kPackageInvalid,       // a package missing, invalid or corrupt, or its verification failed
  kCredentialsRefused,   // the platform or the registry refused the credentials
  kRegistryUnreachable,  // the registry did not answer (network, TLS, not a registry)
  kClusterUnreachable,   // a cluster did not answer, or refused a request (not credentials)
  kImagesMissing,        // an image the package's custom resources name is not in the registry
  kBlocked,              // a safety rail said no (--force where offered)
};

class Outcome {
 public:
  Outcome() = default;  // success
  // `status` is the one line; an OK status here is a bug and becomes an Internal error.
  Outcome(FailureKind kind, absl::Status status);

  bool ok() const { return status_.ok(); }
  FailureKind kind() const { return kind_; }
  const absl::Status& status() const { return status_; }

  // True when the line already went to the command's `err` stream as it happened (a failed
  // package or deletion, after which the others went on): the main prints it no second time.
  bool reported() const { return reported_; }
  Outcome Reported() const {
    Outcome copy = *this;
    copy.reported_ = true;
    return copy;
  }

 private:
  FailureKind kind_ = FailureKind::kStep;
  absl::Status status_;
  bool reported_ = false;
};

// A failed request to a cluster: refused credentials (with the hint for the flags in use),
// anything else the cluster being unreachable or refusing the request.
Outcome ClusterFailure(const absl::Status& status, const platform::Connection& connection);

// A failed request to the registry: refused credentials, or (while connecting) an unreachable
// registry, or (later) a failed step that a re-run resumes.
Outcome RegistryFailure(const absl::Status& status, bool connecting);

}  // namespace violet
