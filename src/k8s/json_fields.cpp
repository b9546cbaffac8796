#include "k8s/json_fields.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>

namespace k8s {

using nlohmann::json;

std::string StringAt(const json& object, const std::string& pointer) {
  if (!object.is_object()) return "";
  const json::json_pointer path(pointer);
  if (!object.contains(path)) return "";
  const json& value = object.at(path);
  return value.is_string() ? value.get<std::string>() : "";
}

std::string NameOf(const json& object) { return StringAt(object, "/metadata/name"); }

std::string StringField(const json& object, const std::string& key, const std::string& fallback) {
  if (!object.is_object()) return fallback;
  auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : fallback;
}

namespace {
std::string MapEntry(const json& object, const char* map, const std::string& key) {
  if (!object.is_object() || !object.contains("metadata")) return "";
  const json& metadata = object["metadata"];
  if (!metadata.contains(map) || !metadata[map].is_object()) return "";
  auto found = metadata[map].find(key);
  return found != metadata[map].end() && found->is_string() ? found->get<std::string>() : "";
}
}  // namespace

std::string LabelOf(const json& object, const std::string& key) {
  return MapEntry(object, "labels", key);
}
std::string AnnotationOf(const json& object, const std::string& key) {
  return MapEntry(object, "annotations", key);
}

const json* FindCondition(const json& object, const std::string& type) {
  if (!object.is_object() || !object.contains("status") || !object["status"].is_object()) {
    return nullptr;
  }
  const json& status = object["status"];
  if (!status.contains("conditions") || !status["conditions"].is_array()) return nullptr;
  for (const json& condition : status["conditions"]) {
    if (condition.is_object() && condition.value("type", "") == type) return &condition;
  }
  return nullptr;
}

std::string ConditionStatus(const json& object, const std::string& type) {
  const json* condition = FindCondition(object, type);
  return condition ? condition->value("status", "") : "";
}

std::vector<json> ItemsOf(const json& list) {
  if (!list.is_object() || !list.contains("items") || !list["items"].is_array()) return {};
  return list["items"].get<std::vector<json>>();
}

std::string NowRfc3339() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                     std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
}

}  // namespace k8s
