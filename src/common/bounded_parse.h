// Parsing untrusted JSON and YAML within a size and a nesting-depth bound. nlohmann::json and
// yaml-cpp both recurse once per nesting level, so a deep enough input overflows the stack:
// the depth is checked first by a cheap, non-recursive scan of the text.
#pragma once

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace common {

// Limits for what we read: manifests, index.json, package.yaml, API replies of a few MiB.
inline constexpr size_t kDefaultMaxJsonBytes = 4 << 20;  // containerd's manifest limit
inline constexpr int kDefaultMaxJsonDepth = 64;

// OK when no array/object in `text` nests deeper than `max_depth` (strings and escapes
// respected). Does not validate the JSON. InvalidArgument "<what> nests deeper than N levels".
absl::Status CheckJsonDepth(std::string_view text, int max_depth, std::string_view what);

// Parses `text` as JSON after checking its size and depth. Errors (InvalidArgument) name
// `what` and the limit: "<what> is 5000000 bytes, more than the 4194304 allowed",
// "<what> nests deeper than 64 levels", "<what> is not JSON (...)".
absl::StatusOr<nlohmann::json> ParseJsonBounded(std::string_view text, size_t max_bytes,
                                                int max_depth, std::string_view what);

// OK when the YAML in `text` nests (block indentation, "- " / "? " compact entries, flow
// [ ] { }) no deeper than `max_depth`. A conservative estimate of the structure, never an
// underestimate by more than a level; block scalars (| >) are skipped.
absl::Status CheckYamlDepth(std::string_view text, int max_depth, std::string_view what);

// YAML::Load of `text` (one document) after checking its size and depth; the same errors as
// ParseJsonBounded ("... is not YAML (...)").
absl::StatusOr<YAML::Node> ParseYamlBounded(std::string_view text, size_t max_bytes, int max_depth,
                                            std::string_view what);

}  // namespace common
