#include "package/package_verification.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <gpgme.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "bundle/digest.h"

namespace package {
namespace {

namespace fs = std::filesystem;

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// "" when it matches; else why not.
std::string CheckSha256(const std::string& archive, const std::string& checksum_file) {
  const std::string expected = ExpectedSha256(ReadText(checksum_file));
  if (expected.empty()) return fmt::format("{} holds no sha256 checksum", checksum_file);
  std::ifstream in(archive, std::ios::binary);
  if (!in) return fmt::format("cannot read {}", archive);
  bundle::Sha256 hasher;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) hasher.Update(buffer, in.gcount());
  const std::string actual = hasher.Finish().substr(7);
  if (actual != expected) {
    return fmt::format("checksum mismatch: {} says {}, the file has {}",
                       fs::path(checksum_file).filename().string(), expected, actual);
  }
  return "";
}

struct GpgResult {
  bool ok = false;
  std::string detail;
};

std::string GpgText(gpgme_error_t error) { return gpgme_strerror(error); }

// A GnuPG home for this check: the keyring directory itself, or a temporary one with the
// keys of a keyring file imported (removed afterwards).
class GpgHome {
 public:
  explicit GpgHome(std::string keyring) {
    if (keyring.empty()) {
      const char* env = std::getenv("VIOLET_KEYRING");
      const char* home = std::getenv("HOME");
      keyring = env && *env ? env : (home ? std::string(home) + "/.gnupg" : "");
    }
    keyring_ = keyring;
    std::error_code error;
    if (fs::is_directory(keyring, error)) {
      home_ = keyring;
      return;
    }
    char templ[] = "/tmp/violet-gpg-XXXXXX";
    if (mkdtemp(templ) != nullptr) {
      home_ = templ;
      temporary_ = true;
    }
  }
  ~GpgHome() {
    if (temporary_) {
      std::error_code error;
      fs::remove_all(home_, error);
    }
  }
  const std::string& home() const { return home_; }
  const std::string& keyring() const { return keyring_; }
  bool needs_import() const { return temporary_; }

 private:
  std::string keyring_, home_;
  bool temporary_ = false;
};

GpgResult CheckGpg(const std::string& archive, const std::string& signature,
                   const VerifyOptions& options) {
  gpgme_check_version(nullptr);
  GpgHome home(options.keyring);
  if (home.home().empty()) return {false, "no keyring: give --keyring or set $VIOLET_KEYRING"};
  gpgme_ctx_t raw_ctx = nullptr;
  if (gpgme_error_t error = gpgme_new(&raw_ctx)) return {false, "gpgme: " + GpgText(error)};
  std::unique_ptr<gpgme_context, decltype(&gpgme_release)> ctx(raw_ctx, &gpgme_release);
  gpgme_set_protocol(ctx.get(), GPGME_PROTOCOL_OpenPGP);
  gpgme_ctx_set_engine_info(ctx.get(), GPGME_PROTOCOL_OpenPGP, nullptr, home.home().c_str());

  auto data_from_fd = [](int fd) {
    gpgme_data_t data = nullptr;
    gpgme_data_new_from_fd(&data, fd);
    return std::unique_ptr<gpgme_data, decltype(&gpgme_data_release)>(data, &gpgme_data_release);
  };
  struct Fd {
    int fd;
    ~Fd() {
      if (fd >= 0) close(fd);
    }
  };
  if (home.needs_import()) {
    Fd key{open(home.keyring().c_str(), O_RDONLY)};
    if (key.fd < 0) {
      return {false, fmt::format("keyring {} cannot be read; give --keyring or $VIOLET_KEYRING",
                                 home.keyring())};
    }
    auto keys = data_from_fd(key.fd);
    if (gpgme_error_t error = gpgme_op_import(ctx.get(), keys.get())) {
      return {false, fmt::format("keyring {}: {}", home.keyring(), GpgText(error))};
    }
    gpgme_import_result_t imported = gpgme_op_import_result(ctx.get());
    if (imported == nullptr || imported->considered == 0) {
      return {false, fmt::format("keyring {} holds no public key", home.keyring())};
    }
  }
  Fd sig_fd{open(signature.c_str(), O_RDONLY)};
  Fd data_fd{open(archive.c_str(), O_RDONLY)};
  if (sig_fd.fd < 0 || data_fd.fd < 0) return {false, "cannot read the package or its .sig"};
  auto sig = data_from_fd(sig_fd.fd);
  auto data = data_from_fd(data_fd.fd);
  if (gpgme_error_t error = gpgme_op_verify(ctx.get(), sig.get(), data.get(), nullptr)) {
    return {false, fmt::format("{} is not a readable signature ({})",
                               fs::path(signature).filename().string(), GpgText(error))};
  }
  gpgme_verify_result_t result = gpgme_op_verify_result(ctx.get());
  if (result == nullptr || result->signatures == nullptr) {
    return {false, fmt::format("{} holds no signature", fs::path(signature).filename().string())};
  }
  for (gpgme_signature_t s = result->signatures; s != nullptr; s = s->next) {
    const gpgme_err_code_t code = gpgme_err_code(s->status);
    if (code == GPG_ERR_NO_ERROR) {
      return {true, fmt::format("signed by key {}", s->fpr ? s->fpr : "?")};
    }
    if (code == GPG_ERR_NO_PUBKEY) {
      return {false, fmt::format("signed by key {} which is not in keyring {}",
                                 s->fpr ? s->fpr : "?", home.keyring())};
    }
    if (code == GPG_ERR_BAD_SIGNATURE) {
      return {false, "BAD signature: the package was changed after it was signed"};
    }
    return {false, fmt::format("signature not valid ({})", GpgText(s->status))};
  }
  return {false, "no valid signature"};
}

}  // namespace

std::string ExpectedSha256(const std::string& text) {
  size_t start = 0;
  while (start < text.size() && std::isspace(static_cast<unsigned char>(text[start]))) ++start;
  std::string hex;
  for (size_t i = start; i < text.size() && std::isxdigit(static_cast<unsigned char>(text[i]));
       ++i) {
    hex += static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
  }
  const size_t end = start + hex.size();
  if (hex.size() != 64 ||
      (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end])))) {
    return "";
  }
  return hex;
}

bool KeyringNamed(const VerifyOptions& options) {
  const char* env = std::getenv("VIOLET_KEYRING");
  return !options.keyring.empty() || (env != nullptr && *env != '\0');
}

Verification VerifyPackageFile(const std::string& archive, const VerifyOptions& options) {
  Verification result{archive, VerificationOutcome::kNoFile, "", ""};
  std::error_code error;
  const std::string sig = archive + ".sig";
  const std::string sum = archive + ".sha256";
  const bool has_sig = fs::exists(sig, error);
  const bool has_sum = fs::exists(sum, error);
  if (has_sum) {
    if (std::string problem = CheckSha256(archive, sum); !problem.empty()) {
      return {archive, VerificationOutcome::kFailed, problem, ""};
    }
    result = {archive, VerificationOutcome::kChecksum, "sha256 matches", ""};
  }
  if (has_sig) {
    GpgResult gpg = CheckGpg(archive, sig, options);
    if (!gpg.ok) return {archive, VerificationOutcome::kFailed, "GPG: " + gpg.detail, ""};
    result = {archive, VerificationOutcome::kGpg, gpg.detail, ""};
  } else if (KeyringNamed(options)) {
    // Deleting a .sig (and rewriting the .sha256) must not turn a signed package into a
    // checksum-only one when the operator named the keys to trust.
    if (!options.allow_unsigned) {
      return {archive, VerificationOutcome::kFailed,
              "not signed (no .sig beside it) and a keyring was named (--keyring or "
              "$VIOLET_KEYRING), so a signature is required; pass --allow-unsigned to accept "
              "unsigned packages",
              ""};
    }
    result.warning =
        fmt::format("not signed (no .sig beside it); accepted {}because of --allow-unsigned",
                    has_sum ? "on its checksum only " : "without any check ");
  }
  return result;
}

std::string FormatVerificationSummary(const std::string& path,
                                      const std::vector<Verification>& results) {
  std::string out = fmt::format("verify path: {}\n====== Verification Summary ======\n", path);
  const std::pair<VerificationOutcome, const char*> groups[] = {
      {VerificationOutcome::kGpg, "Verified successfully with GPG"},
      {VerificationOutcome::kChecksum, "Verified successfully with checksum"},
      {VerificationOutcome::kFailed, "Verification failed"},
      {VerificationOutcome::kNoFile, "No verification file found"}};
  for (const auto& [outcome, title] : groups) {
    std::string lines;
    int count = 0;
    for (const Verification& result : results) {
      if (result.outcome != outcome) continue;
      ++count;
      const std::string name = fs::path(result.package).filename().string();
      lines += outcome == VerificationOutcome::kFailed
                   ? fmt::format("  {}: {}\n", name, result.detail)
                   : fmt::format("  {}\n", name);
    }
    out += fmt::format("{} ({}):\n{}", title, count, count == 0 ? "  (none)\n" : lines);
  }
  return out;
}

}  // namespace package
