#include "common/base64.h"

#include <openssl/evp.h>

#include <cctype>

namespace common {

std::string EncodeBase64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                     reinterpret_cast<const unsigned char*>(bytes.data()),
                                     static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(length));
  return out;
}

std::optional<std::string> DecodeBase64(std::string_view text) {
  std::string input;
  input.reserve(text.size() + 3);
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) input.push_back(c);
  }
  if (input.size() % 4 == 1) return std::nullopt;
  while (input.size() % 4 != 0) input.push_back('=');
  if (input.empty()) return std::string();
  std::string decoded(input.size() / 4 * 3, '\0');
  const int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                                     reinterpret_cast<const unsigned char*>(input.data()),
                                     static_cast<int>(input.size()));
  if (length < 0) return std::nullopt;
  size_t padding = 0;
  for (size_t i = input.size(); i > 0 && input[i - 1] == '=' && padding < 2; --i) ++padding;
  decoded.resize(static_cast<size_t>(length) - padding);
  return decoded;
}

}  // namespace common
