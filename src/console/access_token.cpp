#include "console/access_token.h"

#include <openssl/rand.h>

namespace console {

absl::StatusOr<common::Secret> NewAccessToken() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    return absl::InternalError("no random bytes for the console's access token (OpenSSL RAND)");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * sizeof bytes);
  for (unsigned char byte : bytes) {
    hex += kHex[byte >> 4];
    hex += kHex[byte & 0xf];
  }
  return common::Secret(std::move(hex));
}

bool TokenEquals(std::string_view supplied, const common::Secret& token) {
  const std::string& expected = token.Reveal();
  if (expected.empty()) return false;
  // Every byte of the expected token is looked at whatever was supplied; branches depend
  // only on lengths, never on the token's bytes.
  volatile unsigned char difference = supplied.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i) {
    const unsigned char given = i < supplied.size() ? static_cast<unsigned char>(supplied[i]) : 0;
    difference = difference | (given ^ static_cast<unsigned char>(expected[i]));
  }
  return difference == 0;
}

namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::string SuppliedToken(std::string_view authorization, std::string_view cookie_header,
                          std::string_view query_token) {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.substr(0, kBearer.size()) == kBearer) {
    return std::string(authorization.substr(kBearer.size()));
  }
  const std::string prefix = std::string(kTokenCookie) + "=";
  while (!cookie_header.empty()) {
    const size_t semicolon = cookie_header.find(';');
    std::string_view cookie = Trim(cookie_header.substr(0, semicolon));
    cookie_header = semicolon == std::string_view::npos ? std::string_view()
                                                        : cookie_header.substr(semicolon + 1);
    if (cookie.substr(0, prefix.size()) == prefix) return std::string(cookie.substr(prefix.size()));
  }
  return std::string(query_token);
}

}  // namespace console
