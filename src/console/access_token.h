// The console's access token: `ac console` can start upgrades, so every request must carry
// the random token printed in its URL (then kept in a cookie), compared in constant time.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/secret.h"

namespace console {

inline constexpr const char* kTokenCookie = "ac_console_token";
inline constexpr const char* kTokenQuery = "token";

// 32 bytes from OpenSSL's CSPRNG as 64 hex digits; an error when the CSPRNG fails.
absl::StatusOr<common::Secret> NewAccessToken();

// True when `supplied` equals `token`; takes the same time whatever `supplied` holds (for a
// given token). An empty token never matches.
bool TokenEquals(std::string_view supplied, const common::Secret& token);

// The token a request carries: "Authorization: Bearer <t>", else the cookie
// ac_console_token=<t> in the Cookie header, else the query parameter ?token=<t>.
std::string SuppliedToken(std::string_view authorization, std::string_view cookie_header,
                          std::string_view query_token);

}  // namespace console
