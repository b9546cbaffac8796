// Whether a registry's Bearer challenge may send our credentials to the token service it
// names: docker's and containerd's rule, stricter about plain HTTP (cmd/image-sync/README.md).
#pragma once

#include <string>

#include "absl/status/status.h"

namespace registry {

// OK when the Basic credentials may go to `realm_url`, the realm of a challenge from the
// registry at `registry_url` ("https://host:port"). `plain_allowed`: the operator gave
// --plain for that registry.
//  - https realm: yes, on any host (token services often live elsewhere: auth.docker.io);
//  - http realm of an https registry: no, never a downgrade;
//  - http realm of an http registry: only with `plain_allowed` and on the registry's own
//    host name (any port);
// PermissionDenied (one line, why) otherwise: the token may still be asked for without
// credentials. A realm that is not an absolute http(s) URL without user info is
// InvalidArgument: it is not asked at all.
absl::Status CredentialsMayGoToRealm(const std::string& registry_url, const std::string& realm_url,
                                     bool plain_allowed);

// "scheme://host:port" of `url` in lower case, the port made explicit; empty when `url` is
// not a URL. Two URLs with the same origin are the same server.
std::string Origin(const std::string& url);

}  // namespace registry
