#include "registry/www_authenticate.h"

#include "absl/strings/ascii.h"

namespace registry {
namespace {

void SkipSpaces(std::string_view text, size_t& at) {
  while (at < text.size() && (text[at] == ' ' || text[at] == '\t' || text[at] == ',')) ++at;
}

}  // namespace

Challenge ParseChallenge(std::string_view header) {
  Challenge challenge;
  size_t at = 0;
  SkipSpaces(header, at);
  const size_t scheme_end = header.find(' ', at);
  challenge.scheme = absl::AsciiStrToLower(std::string(header.substr(at, scheme_end - at)));
  if (scheme_end == std::string_view::npos) return challenge;
  at = scheme_end;
  while (true) {
    SkipSpaces(header, at);
    if (at >= header.size()) break;
    const size_t equals = header.find('=', at);
    if (equals == std::string_view::npos) break;
    std::string key = absl::AsciiStrToLower(std::string(header.substr(at, equals - at)));
    while (!key.empty() && key.back() == ' ') key.pop_back();
    at = equals + 1;
    std::string value;
    if (at < header.size() && header[at] == '"') {
      ++at;
      while (at < header.size() && header[at] != '"') {
        if (header[at] == '\\' && at + 1 < header.size()) ++at;
        value.push_back(header[at++]);
      }
      ++at;  // closing quote
    } else {
      while (at < header.size() && header[at] != ',') value.push_back(header[at++]);
      while (!value.empty() && value.back() == ' ') value.pop_back();
    }
    challenge.params[key] = value;
  }
  return challenge;
}

}  // namespace registry
