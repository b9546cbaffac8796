#include "common/bounded_parse.h"

#include <fmt/format.h>

#include <string>
#include <vector>

namespace common {
namespace {

absl::Status TooDeep(std::string_view what, int max_depth) {
  return absl::InvalidArgumentError(
      fmt::format("{} nests deeper than {} levels; refusing it", what, max_depth));
}

absl::Status TooBig(std::string_view what, size_t size, size_t max_bytes) {
  return absl::InvalidArgumentError(
      fmt::format("{} is {} bytes, more than the {} allowed; refusing it", what, size, max_bytes));
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// "|", ">", "|-", ">+2", ...: the header of a block scalar.
bool IsBlockScalarHeader(std::string_view token) {
  if (token.empty() || (token[0] != '|' && token[0] != '>')) return false;
  for (char c : token.substr(1)) {
    if (c != '-' && c != '+' && (c < '0' || c > '9')) return false;
  }
  return true;
}

}  // namespace

absl::Status CheckJsonDepth(std::string_view text, int max_depth, std::string_view what) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > max_depth) return TooDeep(what, max_depth);
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default:
        break;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<nlohmann::json> ParseJsonBounded(std::string_view text, size_t max_bytes,
                                                int max_depth, std::string_view what) {
  if (text.size() > max_bytes) return TooBig(what, text.size(), max_bytes);
  if (absl::Status depth = CheckJsonDepth(text, max_depth, what); !depth.ok()) return depth;
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // e.what() quotes the input it last read: never echo untrusted bytes into an error.
    return absl::InvalidArgumentError(
        fmt::format("{} is not JSON (syntax error at byte {})", what, e.byte));
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(fmt::format("{} is not JSON (error {})", what, e.id));
  }
}

absl::Status CheckYamlDepth(std::string_view text, int max_depth, std::string_view what) {
  const size_t max = static_cast<size_t>(max_depth < 0 ? 0 : max_depth);
  std::vector<size_t> indents;  // columns of the block collections open at this line
  int flow = 0;                 // [ ] { } open
  enum class Quote { kNone, kSingle, kDouble } quote = Quote::kNone;
  bool in_block_scalar = false;
  size_t block_scalar_parent = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t indent = 0;
    while (indent < line.size() && line[indent] == ' ') ++indent;
    if (in_block_scalar) {
      if (indent == line.size() || indent > block_scalar_parent) continue;
      in_block_scalar = false;
    }
    size_t i = indent;
    if (quote == Quote::kNone && flow == 0) {
      if (i == line.size() || line[i] == '#') continue;
      if (indent == 0 && (line.starts_with("---") || line.starts_with("..."))) {
        indents.clear();
        i = 3;
      } else {
        while (!indents.empty() && indents.back() > indent) indents.pop_back();
        if (indents.empty() || indents.back() < indent) indents.push_back(indent);
        // "- - x", "? - x": each compact entry opens a collection on the same line.
        while (i < line.size() && (line[i] == '-' || line[i] == '?') &&
               (i + 1 == line.size() || IsBlank(line[i + 1]))) {
          ++i;
          while (i < line.size() && IsBlank(line[i])) ++i;
          if (i == line.size()) break;
          indents.push_back(i);
          if (indents.size() > max) return TooDeep(what, max_depth);
        }
      }
      if (indents.size() > max) return TooDeep(what, max_depth);
    }
    char prev = ' ';
    size_t token_begin = i, token_end = i;
    for (; i < line.size(); ++i) {
      const char c = line[i];
      if (quote == Quote::kSingle) {
        if (c == '\'') {
          if (i + 1 < line.size() && line[i + 1] == '\'') {
            ++i;
          } else {
            quote = Quote::kNone;
          }
        }
        prev = c;
        continue;
      }
      if (quote == Quote::kDouble) {
        if (c == '\\') {
          ++i;
        } else if (c == '"') {
          quote = Quote::kNone;
        }
        prev = c;
        continue;
      }
      const bool token_start =
          IsBlank(prev) || (flow > 0 && (prev == '[' || prev == '{' || prev == ','));
      if (c == '#' && IsBlank(prev)) break;
      if (!IsBlank(c)) {
        if (IsBlank(prev)) token_begin = i;
        token_end = i + 1;
      }
      if (token_start && c == '\'') {
        quote = Quote::kSingle;
      } else if (token_start && c == '"') {
        quote = Quote::kDouble;
      } else if ((c == '[' || c == '{') && (token_start || flow > 0)) {
        ++flow;
        if (indents.size() + static_cast<size_t>(flow) > max) return TooDeep(what, max_depth);
      } else if ((c == ']' || c == '}') && flow > 0) {
        --flow;
      }
      prev = c;
    }
    if (quote == Quote::kNone && flow == 0 &&
        IsBlockScalarHeader(line.substr(token_begin, token_end - token_begin))) {
      in_block_scalar = true;
      block_scalar_parent = indent;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<YAML::Node> ParseYamlBounded(std::string_view text, size_t max_bytes, int max_depth,
                                            std::string_view what) {
  if (text.size() > max_bytes) return TooBig(what, text.size(), max_bytes);
  if (absl::Status depth = CheckYamlDepth(text, max_depth, what); !depth.ok()) return depth;
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::DeepRecursion&) {
    return TooDeep(what, max_depth);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(fmt::format("{} is not YAML (line {}, column {}: {})", what,
                                                  e.mark.line + 1, e.mark.column + 1, e.msg));
  }
}

}  // namespace common
