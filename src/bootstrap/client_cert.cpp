#include "bootstrap/client_cert.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace bootstrap {
namespace {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;

BioPtr ReadBio(const std::string& text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

X509Ptr ParseCert(const std::string& pem) {
  if (pem.empty() || pem.size() > kMaxPemBytes) return nullptr;
  BioPtr bio = ReadBio(pem);
  if (!bio) return nullptr;
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

KeyPtr ParseKey(const std::string& pem) {
  if (pem.empty() || pem.size() > kMaxPemBytes) return nullptr;
  BioPtr bio = ReadBio(pem);
  if (!bio) return nullptr;
  // An empty passphrase callback: an encrypted key fails instead of prompting on a tty.
  return KeyPtr(PEM_read_bio_PrivateKey(
      bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr));
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<size_t>(size)) : std::string();
}

bool AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

}  // namespace

absl::Status ValidateCaPair(const CaPair& ca, const std::string& what) {
  if (ca.cert_pem.size() > kMaxPemBytes || ca.key_pem.Reveal().size() > kMaxPemBytes) {
    return absl::InvalidArgumentError(what + ": larger than 64 KiB; a CA certificate and key " +
                                      "are a few KiB");
  }
  X509Ptr cert = ParseCert(ca.cert_pem);
  if (!cert) return absl::InvalidArgumentError(what + ": the certificate is not a PEM certificate");
  if (X509_check_ca(cert.get()) == 0) {
    return absl::InvalidArgumentError(
        what + ": the certificate is not a CA (no basicConstraints CA:TRUE)");
  }
  KeyPtr key = ParseKey(ca.key_pem.Reveal());
  if (!key) {
    return absl::InvalidArgumentError(what +
                                      ": the key is not an unencrypted PEM private key; a "
                                      "cert-manager CA Issuer needs the CA's key");
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return absl::InvalidArgumentError(what + ": the key does not belong to the certificate");
  }
  return absl::OkStatus();
}

absl::StatusOr<IssuedCert> IssueClientCert(const CaPair& ca, const std::string& common_name,
                                           absl::Time now, absl::Duration validity) {
  X509Ptr ca_cert = ParseCert(ca.cert_pem);
  KeyPtr ca_key = ParseKey(ca.key_pem.Reveal());
  if (!ca_cert || !ca_key)
    return absl::InvalidArgumentError("the CA certificate or key is unreadable");
  KeyPtr key(EVP_EC_gen("P-256"));
  X509Ptr cert(X509_new());
  if (!key || !cert) return absl::InternalError("OpenSSL could not make a P-256 key");

  BnPtr serial(BN_new());
  if (!serial || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return absl::InternalError("OpenSSL could not draw a certificate serial number");
  }
  const time_t start = absl::ToTimeT(now - absl::Minutes(5));
  const time_t end = absl::ToTimeT(now + validity);
  X509_NAME* subject = X509_get_subject_name(cert.get());
  const bool ok =
      X509_set_version(cert.get(), 2) == 1 &&
      ASN1_TIME_set(X509_getm_notBefore(cert.get()), start) != nullptr &&
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), end) != nullptr &&
      X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                 -1, 0) == 1 &&
      X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get())) == 1 &&
      X509_set_pubkey(cert.get(), key.get()) == 1 &&
      AddExtension(cert.get(), ca_cert.get(), NID_basic_constraints, "critical,CA:FALSE") &&
      AddExtension(cert.get(), ca_cert.get(), NID_key_usage, "critical,digitalSignature") &&
      AddExtension(cert.get(), ca_cert.get(), NID_ext_key_usage, "clientAuth") &&
      AddExtension(cert.get(), ca_cert.get(), NID_subject_key_identifier, "hash") &&
      AddExtension(cert.get(), ca_cert.get(), NID_authority_key_identifier, "keyid:always");
  if (!ok) return absl::InternalError("OpenSSL could not fill in the client certificate");
  // Ed25519/Ed448 CA keys sign without a separate digest.
  const int type = EVP_PKEY_get_base_id(ca_key.get());
  const EVP_MD* digest =
      (type == EVP_PKEY_ED25519 || type == EVP_PKEY_ED448) ? nullptr : EVP_sha256();
  if (X509_sign(cert.get(), ca_key.get(), digest) == 0) {
    return absl::InternalError("OpenSSL could not sign the client certificate with the CA key");
  }
  BioPtr cert_out(BIO_new(BIO_s_mem()));
  BioPtr key_out(BIO_new(BIO_s_mem()));
  if (!cert_out || !key_out || PEM_write_bio_X509(cert_out.get(), cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(key_out.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
          1) {
    return absl::InternalError("OpenSSL could not write the client certificate as PEM");
  }
  IssuedCert issued;
  issued.cert_pem = BioText(cert_out.get());
  issued.key_pem = common::Secret(BioText(key_out.get()));
  issued.not_after = absl::FromTimeT(end);
  return issued;
}

bool SignedByAndFresh(const std::string& cert_pem, const std::string& ca_cert_pem, absl::Time now,
                      absl::Duration min_remaining) {
  X509Ptr cert = ParseCert(cert_pem);
  X509Ptr ca = ParseCert(ca_cert_pem);
  if (!cert || !ca) return false;
  StorePtr store(X509_STORE_new());
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!store || !ctx || X509_STORE_add_cert(store.get(), ca.get()) != 1 ||
      X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr) != 1) {
    return false;
  }
  X509_STORE_CTX_set_time(ctx.get(), 0, absl::ToTimeT(now));
  if (X509_verify_cert(ctx.get()) != 1) return false;
  time_t until = absl::ToTimeT(now + min_remaining);
  return X509_cmp_time(X509_get0_notAfter(cert.get()), &until) > 0;
}

}  // namespace bootstrap
