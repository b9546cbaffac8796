// Standard base64 (RFC 4648) through OpenSSL, for credentials and kubeconfig data fields.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace common {

std::string EncodeBase64(std::string_view bytes);
// Whitespace is ignored and padding may be omitted; nullopt for anything else malformed.
std::optional<std::string> DecodeBase64(std::string_view text);

}  // namespace common
