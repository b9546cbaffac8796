// The docker-credential-helpers protocol, "get" only: runs docker-credential-<name> (found on
// PATH, never through a shell), writes the server URL on its stdin, reads its JSON answer.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "registry/credentials.h"

namespace registry {

// A helper's answer is one small JSON object: more than this is refused unread.
inline constexpr size_t kMaxHelperOutputBytes = 64 << 10;

struct HelperOptions {
  std::string path;  // the PATH searched for docker-credential-<name> (`$PATH`)
  std::chrono::milliseconds timeout{30000};  // a helper may ask a keyring daemon; not forever
};

// The absolute path of docker-credential-<name> in `search_path`, or "" when none is an
// executable file. A name holding '/' or anything but [A-Za-z0-9._-] is never looked up.
std::string FindCredentialHelper(const std::string& name, const std::string& search_path);

// Asks helper `name` for `server_url`'s credentials. nullopt when the helper has none
// ("credentials not found in native keychain"). A "Username" of "<token>" makes the
// "Secret" an identity token. Errors are Unauthenticated, one line naming the helper and
// `host`, never its output: not on PATH, did not answer within the timeout, exited non-zero,
// answered more than kMaxHelperOutputBytes, answered no JSON object with a "Secret".
absl::StatusOr<std::optional<Credentials>> GetFromCredentialHelper(const std::string& name,
                                                                   const std::string& server_url,
                                                                   const std::string& host,
                                                                   const HelperOptions& options);

// The helper's answer read as GetFromCredentialHelper does, once it has run: `output` is its
// stdout, `wait_status` its waitpid status. Pure: the fuzzers' entry point.
absl::StatusOr<std::optional<Credentials>> ParseHelperAnswer(const std::string& output,
                                                             int wait_status,
                                                             const std::string& name,
                                                             const std::string& host);

}  // namespace registry
