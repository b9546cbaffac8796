// TEST STAND-IN for kube-apiserver: equality label selectors ("a=b,c==d,e!=f") as
// ?labelSelector= takes them, parsed and matched against metadata.labels.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace apiserver {

struct LabelRequirement {
  std::string key;
  std::string value;
  bool equal = true;  // false for "!="
};

// nullopt for a selector outside the supported subset.
std::optional<std::vector<LabelRequirement>> ParseLabelSelector(const std::string& text);

bool MatchesLabels(const std::vector<LabelRequirement>& selector, const nlohmann::json& object);

}  // namespace apiserver
