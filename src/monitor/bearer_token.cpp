#include "monitor/bearer_token.h"

namespace monitor {

bool BearerTokenMatches(std::string_view authorization, const common::Secret& token) {
  const std::string& expected = token.Reveal();
  if (expected.empty()) return false;
  constexpr std::string_view kScheme = "Bearer ";
  std::string_view supplied;
  if (authorization.size() >= kScheme.size() &&
      authorization.substr(0, kScheme.size()) == kScheme) {
    supplied = authorization.substr(kScheme.size());
  }
  // Every byte of the expected token is looked at, whatever was supplied; branches depend
  // only on lengths, never on the token's bytes.
  volatile unsigned char difference = supplied.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i) {
    const unsigned char given = i < supplied.size() ? static_cast<unsigned char>(supplied[i]) : 0;
    difference = difference | (given ^ static_cast<unsigned char>(expected[i]));
  }
  return difference == 0;
}

}  // namespace monitor
