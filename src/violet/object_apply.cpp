#include "violet/object_apply.h"

#include "k8s/api_error.h"

namespace violet {

using nlohmann::json;

std::string OutcomeName(ApplyOutcome outcome) {
  switch (outcome) {
    case ApplyOutcome::kCreated:
      return "created";
    case ApplyOutcome::kUpdated:
      return "updated";
    case ApplyOutcome::kUnchanged:
      return "unchanged";
  }
  return "?";
}

bool ObjectCovers(const json& existing, const json& desired) {
  for (const char* field : {"labels", "annotations"}) {
    const json wanted = desired["metadata"].value(field, json::object());
    const json have = existing.contains("metadata")
                          ? existing["metadata"].value(field, json::object())
                          : json::object();
    for (const auto& [key, value] : wanted.items()) {
      if (!have.contains(key) || have[key] != value) return false;
    }
  }
  return existing.value("spec", json()) == desired.value("spec", json());
}

absl::StatusOr<ApplyOutcome> ApplyObject(k8s::RestClient& client, const k8s::ResourceRef& ref,
                                         const std::string& ns, const json& desired) {
  const std::string name = desired["metadata"]["name"];
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto existing = client.Get(ref, ns, name);
    if (absl::IsNotFound(existing.status())) {
      auto created = client.Create(ref, ns, desired);
      if (created.ok()) return ApplyOutcome::kCreated;
      if (absl::IsAlreadyExists(created.status())) continue;  // someone was faster
      return created.status();
    }
    if (!existing.ok()) return existing.status();
    if (ObjectCovers(*existing, desired)) return ApplyOutcome::kUnchanged;
    json updated = *existing;
    for (const char* field : {"labels", "annotations"}) {
      if (!desired["metadata"].contains(field)) continue;
      if (!updated["metadata"].contains(field)) updated["metadata"][field] = json::object();
      updated["metadata"][field].update(desired["metadata"][field]);
    }
    updated["spec"] = desired["spec"];
    auto written = client.Update(ref, ns, updated);
    if (written.ok()) return ApplyOutcome::kUpdated;
    if (k8s::IsConflict(written.status()) || absl::IsNotFound(written.status())) continue;
    return written.status();
  }
  return absl::AbortedError(ref.resource + " " + name +
                            ": changed by someone else on every attempt; run violet again");
}

}  // namespace violet
