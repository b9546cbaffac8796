// Parses a WWW-Authenticate challenge (RFC 7235) as registries send it:
// `Bearer realm="https://auth/token",service="registry",scope="repository:a:pull"` or `Basic
// realm="x"`.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace registry {

struct Challenge {
  std::string scheme;                         // lowercased: "bearer", "basic", or empty
  std::map<std::string, std::string> params;  // keys lowercased, values unquoted
};

Challenge ParseChallenge(std::string_view header);

}  // namespace registry
