// Idempotent create-or-update of one object: created when absent, unchanged when the
// server's copy already carries our labels, annotations and spec, updated otherwise.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "k8s/rest_client.h"

namespace violet {

enum class ApplyOutcome { kCreated, kUpdated, kUnchanged };

std::string OutcomeName(ApplyOutcome outcome);  // "created", "updated", "unchanged"

// True when `existing` has every label and annotation of `desired` and the same spec.
bool ObjectCovers(const nlohmann::json& existing, const nlohmann::json& desired);

// `desired` carries metadata.name; conflicts (a concurrent writer) are retried.
absl::StatusOr<ApplyOutcome> ApplyObject(k8s::RestClient& client, const k8s::ResourceRef& ref,
                                         const std::string& ns, const nlohmann::json& desired);

}  // namespace violet
