// `violet verify` and push's pre-check: a package's <pkg>.sha256 checksum file and <pkg>.sig
// detached GPG signature (checked with gpgme against a keyring), and the summary report.
#pragma once

#include <string>
#include <vector>

namespace package {

enum class VerificationOutcome { kGpg, kChecksum, kFailed, kNoFile };

struct Verification {
  std::string package;  // the .tgz
  VerificationOutcome outcome = VerificationOutcome::kNoFile;
  std::string detail;   // why it failed, or who signed it
  std::string warning;  // accepted, but the operator should know (unsigned, --allow-unsigned)
};

struct VerifyOptions {
  // A file of exported public keys (armored or binary, imported into a throwaway GnuPG
  // home) or a GnuPG home directory. Empty: $VIOLET_KEYRING, else ~/.gnupg.
  std::string keyring;
  // A keyring named (`keyring` or $VIOLET_KEYRING, not the ~/.gnupg default) means packages
  // must be signed: one without a .sig fails, unless this is set (then it passes on its
  // checksum, with a warning).
  bool allow_unsigned = false;
};

// True when `options.keyring` or $VIOLET_KEYRING names a keyring.
bool KeyringNamed(const VerifyOptions& options);

// Checks <archive>.sig when present (GPG) and <archive>.sha256 when present; both must pass.
// kGpg when a signature verified, kChecksum when only a checksum did. With a keyring named
// (KeyringNamed), a package without .sig is kFailed unless allow_unsigned.
Verification VerifyPackageFile(const std::string& archive, const VerifyOptions& options);

// The sha256 checksum file's expected hex ("<hex>  <name>" as sha256sum writes, or "<hex>").
// Empty when the text holds none.
std::string ExpectedSha256(const std::string& checksum_file_text);

// The report: "verify path: <path>", "====== Verification Summary ======", then the four
// groups ("Verified successfully with GPG", "Verified successfully with checksum",
// "Verification failed", "No verification file found"), each listing its packages.
std::string FormatVerificationSummary(const std::string& path,
                                      const std::vector<Verification>& results);

}  // namespace package
