// Turns an API server's answer into an absl::Status: the HTTP code picks the status code,
// the `kind: Status` body gives the server's own message, quoted as "the server said: ...".
#pragma once

#include <string>

#include "absl/status/status.h"

namespace k8s {

// `what`: "GET https://host/apis/...", prefixed to the message. 404 NotFound,
// 409 AlreadyExists (reason AlreadyExists) or Aborted (reason Conflict), 401
// Unauthenticated, 403 PermissionDenied, 400/422 InvalidArgument, 5xx Unavailable.
absl::Status ApiError(long http_status, const std::string& body, const std::string& what);

// A 409 Conflict: the object changed since it was read; read it again and retry.
inline bool IsConflict(const absl::Status& status) { return absl::IsAborted(status); }

}  // namespace k8s
