#include "bundle/digest.h"

#include <fmt/format.h>
#include <openssl/evp.h>

namespace bundle {

struct Sha256::Context {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  ~Context() { EVP_MD_CTX_free(md); }
};

Sha256::Sha256() : context_(std::make_unique<Context>()) {
  EVP_DigestInit_ex(context_->md, EVP_sha256(), nullptr);
}

Sha256::~Sha256() = default;

void Sha256::Update(const void* data, size_t size) { EVP_DigestUpdate(context_->md, data, size); }

std::string Sha256::Finish() {
  unsigned char raw[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(context_->md, raw, &length);
  EVP_DigestInit_ex(context_->md, EVP_sha256(), nullptr);
  std::string out = "sha256:";
  out.reserve(7 + 2 * length);
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[raw[i] >> 4]);
    out.push_back(kHex[raw[i] & 0xf]);
  }
  return out;
}

std::string Sha256Digest(std::string_view bytes) {
  Sha256 hasher;
  hasher.Update(bytes);
  return hasher.Finish();
}

absl::Status ValidateDigest(std::string_view digest) {
  constexpr std::string_view kPrefix = "sha256:";
  bool ok = digest.size() == kPrefix.size() + 64 && digest.substr(0, kPrefix.size()) == kPrefix;
  for (size_t i = kPrefix.size(); ok && i < digest.size(); ++i) {
    const char c = digest[i];
    ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      fmt::format("\"{}\" is not a sha256 digest (sha256:<64 hex digits>)", digest));
}

}  // namespace bundle
