// Content digests ("sha256:<64 hex>") and a streaming SHA-256 (OpenSSL), used to verify
// every blob read from a bundle and to name what is sent to a registry.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace bundle {

// OK when `digest` is "sha256:" followed by 64 lowercase hex digits (the only algorithm
// the bundle format and the registries we target use).
absl::Status ValidateDigest(std::string_view digest);

// "sha256:<hex>" of `bytes`.
std::string Sha256Digest(std::string_view bytes);

// Hex part of a validated digest ("sha256:ab.." -> "ab..").
inline std::string_view DigestHex(std::string_view digest) { return digest.substr(7); }

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t size);
  void Update(std::string_view bytes) { Update(bytes.data(), bytes.size()); }
  // "sha256:<hex>"; the hasher starts over afterwards.
  std::string Finish();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

}  // namespace bundle
