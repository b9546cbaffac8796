// The optional bearer token that guards the monitor endpoints which list key names
// (/check, /lag-history): Secret names are sensitive even without their values.
#pragma once

#include <string_view>

#include "common/secret.h"

namespace monitor {

// True when `authorization` (the request's Authorization header) is "Bearer <token>".
// Takes the same time whatever the supplied text, for a given token.
bool BearerTokenMatches(std::string_view authorization, const common::Secret& token);

}  // namespace monitor
