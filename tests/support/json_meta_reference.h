// The JSON readers of k8s/object_meta.cpp as they were before they streamed (a whole
// nlohmann document, then lookups): the reference the streaming readers must agree with, in
// the unit tests and the object_meta fuzzer. Where a key repeats, the document keeps the last.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "k8s/object_meta.h"

namespace testing_support {

// False when the value is not a JSON object.
inline bool ReferenceJsonMeta(std::string_view value, k8s::ObjectMeta& meta) {
  nlohmann::json json = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return false;
  auto metadata = json.find("metadata");
  if (metadata == json.end() || !metadata->is_object()) return true;
  auto text = [&](const char* field) {
    auto it = metadata->find(field);
    return it != metadata->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  meta.name = text("name");
  meta.ns = text("namespace");
  meta.uid = text("uid");
  auto owners = metadata->find("ownerReferences");
  if (owners != metadata->end() && owners->is_array()) {
    for (const auto& owner : *owners) {
      auto uid = owner.find("uid");
      if (uid != owner.end() && uid->is_string()) meta.owner_uids.push_back(*uid);
    }
  }
  return true;
}

inline std::string ReferenceJsonNodeName(std::string_view value) {
  nlohmann::json json = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return "";
  auto kind = json.find("kind");
  if (kind != json.end() && (!kind->is_string() || *kind != "Pod")) return "";
  auto spec = json.find("spec");
  if (spec == json.end() || !spec->is_object()) return "";
  auto node_name = spec->find("nodeName");
  return node_name != spec->end() && node_name->is_string() ? node_name->get<std::string>() : "";
}

// Whether the streaming readers agree with the reference on a JSON value ("" when they do,
// else what differs).
inline std::string JsonReadersDisagree(std::string_view value) {
  k8s::ObjectMeta expected;
  const bool object = ReferenceJsonMeta(value, expected);
  const k8s::ObjectMeta got = k8s::ReadObjectMeta(value);
  const bool got_json = got.encoding == k8s::ObjectMeta::Encoding::kJson;
  if (object != got_json) return object ? "not read as JSON" : "read as JSON";
  if (object && (got.name != expected.name || got.ns != expected.ns || got.uid != expected.uid ||
                 got.owner_uids != expected.owner_uids)) {
    return "metadata differs";
  }
  if (k8s::ReadPodNodeName(value) != ReferenceJsonNodeName(value)) return "nodeName differs";
  return "";
}

}  // namespace testing_support
