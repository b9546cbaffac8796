// Small readers for Kubernetes objects held as nlohmann::json: a string at a JSON pointer,
// a label, a condition, a list's items, without exceptions for absent or mistyped fields.
// The one set every engine uses (no copies in violet, upgrade, dr or platform).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace k8s {

// The string at `pointer` ("/status/phase"), or "" when absent or not a string.
std::string StringAt(const nlohmann::json& object, const std::string& pointer);
std::string NameOf(const nlohmann::json& object);
// object[key] when `object` is an object and that member a string, else `fallback` (where
// json::value() would throw on a mistyped object from a cluster).
std::string StringField(const nlohmann::json& object, const std::string& key,
                        const std::string& fallback = "");
// metadata.labels[key] / metadata.annotations[key], "" when absent or not a string.
std::string LabelOf(const nlohmann::json& object, const std::string& key);
std::string AnnotationOf(const nlohmann::json& object, const std::string& key);
// status.conditions[type=`type`].status ("True"/"False"), "" when absent.
std::string ConditionStatus(const nlohmann::json& object, const std::string& type);
const nlohmann::json* FindCondition(const nlohmann::json& object, const std::string& type);
// A List object's items (empty when it has none).
std::vector<nlohmann::json> ItemsOf(const nlohmann::json& list);
// Now as a Kubernetes timestamp (RFC 3339 UTC, whole seconds): "2026-01-02T03:04:05Z".
std::string NowRfc3339();

}  // namespace k8s
