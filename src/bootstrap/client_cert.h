// The certificate work of the bootstrap: checking that a Secret holds a CA (certificate and
// its key), signing etcd-sync's client certificate with it, and telling whether a client
// certificate on hand was signed by a given CA and is still good for a while.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/secret.h"

namespace bootstrap {

// PEM texts larger than this are refused (a CA certificate or key is a few KiB).
inline constexpr size_t kMaxPemBytes = 64 * 1024;

struct CaPair {
  std::string cert_pem;
  common::Secret key_pem;
};

struct IssuedCert {
  std::string cert_pem;
  common::Secret key_pem;  // PKCS#8 PEM
  absl::Time not_after;
};

// OK when `ca` is one PEM certificate that may sign (basicConstraints CA:TRUE) and the
// private key that belongs to it; else InvalidArgument "<what>: ..." (no key material quoted).
absl::Status ValidateCaPair(const CaPair& ca, const std::string& what);

// A new EC P-256 key and a certificate for it signed by `ca`: subject CN=`common_name`,
// extendedKeyUsage clientAuth, keyUsage digitalSignature, valid from `now` - 5 min (clock
// skew) to `now` + `validity`, a random 128-bit serial.
absl::StatusOr<IssuedCert> IssueClientCert(const CaPair& ca, const std::string& common_name,
                                           absl::Time now, absl::Duration validity);

// True when `cert_pem` verifies against `ca_cert_pem` at `now` and is still valid at
// `now` + `min_remaining`; false for anything unreadable.
bool SignedByAndFresh(const std::string& cert_pem, const std::string& ca_cert_pem, absl::Time now,
                      absl::Duration min_remaining);

}  // namespace bootstrap
