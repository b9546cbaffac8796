#include "apiserver/label_selector.h"

namespace apiserver {
namespace {

std::string Trim(const std::string& text) {
  const size_t first = text.find_first_not_of(' ');
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(' ') - first + 1);
}

}  // namespace

std::optional<std::vector<LabelRequirement>> ParseLabelSelector(const std::string& text) {
  std::vector<LabelRequirement> selector;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    const std::string term = Trim(text.substr(start, comma - start));
    start = comma + 1;
    if (term.empty()) {
      if (comma == text.size()) break;
      return std::nullopt;
    }
    LabelRequirement requirement;
    size_t op = term.find("!=");
    size_t op_length = 2;
    if (op != std::string::npos) {
      requirement.equal = false;
    } else if ((op = term.find("==")) == std::string::npos) {
      op = term.find('=');
      op_length = 1;
    }
    if (op == std::string::npos) return std::nullopt;
    requirement.key = Trim(term.substr(0, op));
    requirement.value = Trim(term.substr(op + op_length));
    if (requirement.key.empty()) return std::nullopt;
    selector.push_back(std::move(requirement));
  }
  return selector;
}

bool MatchesLabels(const std::vector<LabelRequirement>& selector, const nlohmann::json& object) {
  const nlohmann::json labels =
      object.value("/metadata/labels"_json_pointer, nlohmann::json::object());
  for (const LabelRequirement& requirement : selector) {
    const auto found = labels.find(requirement.key);
    const bool has = found != labels.end() && found->is_string() &&
                     found->get<std::string>() == requirement.value;
    if (has != requirement.equal) return false;
  }
  return true;
}

}  // namespace apiserver
