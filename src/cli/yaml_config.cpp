#include "cli/yaml_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <sstream>
#include <string_view>

namespace cli {
namespace {

// Values are scalars or lists of scalars, so a flag file nests two levels; the limit leaves
// room for style while keeping yaml-cpp's recursive parser far from deep input.
constexpr int kMaxNesting = 16;

CLI::ConversionError ConfigError(const std::string& what) {
  return CLI::ConversionError("config file: " + what);
}

// How deeply `text` nests flow collections ([ {) and indented blocks ("- " items and more
// deeply indented lines), without parsing it, for a clear early refusal. Quotes are only
// approximated; yaml-cpp's own depth guard (DeepRecursion at 2000) backs this up.
int NestingOf(std::string_view text) {
  int deepest = 0;
  std::vector<size_t> indents;  // columns of the open block levels
  int flow = 0;
  size_t i = 0;
  while (i < text.size()) {
    // A line: its block levels first (only outside flow collections).
    size_t column = 0;
    while (i < text.size() && text[i] == ' ') ++i, ++column;
    std::vector<size_t> levels;
    if (flow == 0 && i < text.size() && text[i] != '\n' && text[i] != '#') {
      levels.push_back(column);
      while (i + 1 < text.size() && text[i] == '-' && text[i + 1] == ' ') {
        i += 2, column += 2;
        while (i < text.size() && text[i] == ' ') ++i, ++column;
        levels.push_back(column);
      }
      while (!indents.empty() && indents.back() >= levels.front()) indents.pop_back();
      indents.insert(indents.end(), levels.begin(), levels.end());
    }
    // The rest of the line: flow brackets outside quotes and comments.
    char quote = 0;
    for (; i < text.size() && text[i] != '\n'; ++i) {
      const char c = text[i];
      if (quote != 0) {
        if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '#' && (i == 0 || text[i - 1] == ' ' || text[i - 1] == '\t')) {
        while (i < text.size() && text[i] != '\n') ++i;
        break;
      } else if (c == '[' || c == '{') {
        ++flow;
      } else if ((c == ']' || c == '}') && flow > 0) {
        --flow;
      }
      deepest = std::max(deepest, static_cast<int>(indents.size()) + flow);
    }
    deepest = std::max(deepest, static_cast<int>(indents.size()) + flow);
    ++i;  // the newline
  }
  return deepest;
}

std::string ScalarText(const YAML::Node& node) {
  return node.IsNull() ? std::string() : node.Scalar();
}

std::string Where(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return "";
  return " (line " + std::to_string(mark.line + 1) + ")";
}

// Flag names to values: a scalar, or a list of scalars (a repeatable flag).
void Flatten(const YAML::Node& map, std::vector<CLI::ConfigItem>& out) {
  for (const auto& entry : map) {
    if (!entry.first.IsScalar()) {
      throw ConfigError("every key must be a flag name" + Where(entry.first));
    }
    CLI::ConfigItem item;
    item.name = entry.first.Scalar();
    const YAML::Node& value = entry.second;
    const std::string expected =
        "\"" + item.name + "\" must be a value or a list of values" + Where(value);
    if (value.IsSequence()) {
      for (const auto& element : value) {
        if (!element.IsScalar() && !element.IsNull()) throw ConfigError(expected);
        item.inputs.push_back(ScalarText(element));
      }
    } else if (value.IsScalar() || value.IsNull()) {
      item.inputs.push_back(ScalarText(value));
    } else {
      throw ConfigError(expected);
    }
    out.push_back(std::move(item));
  }
}

}  // namespace

std::string YamlConfig::to_config(const CLI::App* app, bool default_also, bool, std::string) const {
  YAML::Emitter emitter;
  emitter << YAML::BeginMap;
  for (const CLI::Option* option : app->get_options()) {
    if (option->get_lnames().empty() || !option->get_configurable()) continue;
    std::vector<std::string> values = option->reduced_results();
    if (values.empty() && default_also && !option->get_default_str().empty()) {
      values.push_back(option->get_default_str());
    }
    if (values.empty()) continue;
    emitter << YAML::Key << option->get_lnames().front() << YAML::Value;
    if (values.size() == 1) {
      emitter << values.front();
    } else {
      emitter << YAML::Flow << values;
    }
  }
  emitter << YAML::EndMap;
  return emitter.c_str();
}

std::vector<CLI::ConfigItem> YamlConfig::from_config(std::istream& input) const {
  std::string text(kMaxConfigBytes + 1, '\0');
  input.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(input.gcount()));
  if (text.size() > kMaxConfigBytes) {
    throw ConfigError("larger than " + std::to_string(kMaxConfigBytes / 1024) +
                      " KiB; a flag file is a short list of flag names and values");
  }
  if (NestingOf(text) > kMaxNesting) {
    throw ConfigError("nested more than " + std::to_string(kMaxNesting) +
                      " levels deep; expected flag names with values or lists of values");
  }
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError("not valid YAML: " + std::string(e.what()));
  }
  std::vector<CLI::ConfigItem> items;
  if (root.IsNull()) return items;
  if (!root.IsMap()) throw ConfigError("expected a YAML mapping of flag names to values");
  Flatten(root, items);
  return items;
}

void UseYamlConfig(CLI::App& app, const std::string& description) {
  app.config_formatter(std::make_shared<YamlConfig>());
  app.set_config("--config", "", description);
  app.allow_config_extras(CLI::config_extras_mode::error);
}

}  // namespace cli
