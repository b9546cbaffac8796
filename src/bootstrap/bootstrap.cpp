#include "bootstrap/bootstrap.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <optional>
#include <utility>

#include "bootstrap/client_cert.h"
#include "common/absl_fmt.h"
#include "common/base64.h"
#include "common/secret.h"
#include "common/status_macros.h"
#include "k8s/api_error.h"
#include "k8s/json_fields.h"
#include "k8s/read_or_absent.h"
#include "platform/connection.h"

namespace bootstrap {
namespace {

using nlohmann::json;

const k8s::ResourceRef kSecrets{"", "v1", "secrets", true};
const k8s::ResourceRef kIssuers{"cert-manager.io", "v1", "issuers", true};
const k8s::ResourceRef kCertificates{"cert-manager.io", "v1", "certificates", true};
constexpr size_t kMaxTokenBytes = 16 * 1024;
constexpr char kManagedBy[] = "etcd-sync-bootstrap";

bool DnsName(const std::string& text, size_t max) {
  if (text.empty() || text.size() > max || text.front() == '-' || text.back() == '-' ||
      text.front() == '.' || text.back() == '.') {
    return false;
  }
  for (char c : text) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
  }
  return true;
}

// data[key] decoded, nullopt when absent; a value that is not base64 is absent too.
std::optional<std::string> DataValue(const json& secret, const std::string& key) {
  const json* data = secret.contains("data") ? &secret["data"] : nullptr;
  if (data == nullptr || !data->is_object() || !data->contains(key) || !(*data)[key].is_string()) {
    return std::nullopt;
  }
  return common::DecodeBase64((*data)[key].get<std::string>());
}

std::string Trim(std::string text) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && space(text.back())) text.pop_back();
  size_t first = 0;
  while (first < text.size() && space(text[first])) ++first;
  return text.substr(first);
}

struct Token {
  common::Secret token;
  std::string ca_pem;  // the Secret's optional ca.crt
};

absl::StatusOr<Token> ReadToken(k8s::RestClient& local, const Options& options) {
  const std::string name = options.token_secret.ToString();
  auto secret = k8s::GetOrNull(local, kSecrets, options.token_secret.ns, options.token_secret.name);
  if (!secret.ok()) {
    const std::string line = fmt::format("reading Secret {} on this (standby) cluster: {}", name,
                                         secret.status().message());
    return absl::Status(secret.status().code(), line);
  }
  const std::string how = fmt::format(
      "on the active cluster read `kubectl -n cpaas-system get secret k8sadmin -o "
      "jsonpath='{{.data.token}}' | base64 -d` and create Secret {} on the standby with that "
      "value in key token",
      name);
  if (secret->is_null()) {
    return absl::UnauthenticatedError(
        fmt::format("Secret {} (the active cluster's token) does not exist: {}", name, how));
  }
  std::optional<std::string> token = DataValue(*secret, "token");
  if (!token || Trim(*token).empty()) {
    return absl::UnauthenticatedError(
        fmt::format("Secret {} has no key token (or it is empty): {}", name, how));
  }
  std::string value = Trim(*std::move(token));
  if (value.size() > kMaxTokenBytes) {
    return absl::UnauthenticatedError(fmt::format(
        "Secret {}: key token is larger than 16 KiB; it holds one token: {}", name, how));
  }
  for (char c : value) {
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) {
      return absl::UnauthenticatedError(fmt::format(
          "Secret {}: key token holds spaces or non-printable bytes (is it still base64 "
          "encoded twice?): {}",
          name, how));
    }
  }
  Token result{common::Secret(std::move(value)), ""};
  if (auto ca = DataValue(*secret, "ca.crt"); ca && !Trim(*ca).empty()) {
    if (ca->size() > kMaxPemBytes) {
      return absl::InvalidArgumentError(
          fmt::format("Secret {}: key ca.crt is larger than 64 KiB", name));
    }
    result.ca_pem = *std::move(ca);
  }
  return result;
}

// The PEM the active address is verified with, and a phrase naming where it came from.
absl::StatusOr<std::pair<std::string, std::string>> ActiveTrust(k8s::RestClient& local,
                                                                const Options& options,
                                                                const Token& token) {
  if (!token.ca_pem.empty()) {
    return std::make_pair(token.ca_pem,
                          fmt::format("ca.crt of Secret {}", options.token_secret.ToString()));
  }
  if (!options.platform_cert_secret.name.empty()) {
    const std::string name = options.platform_cert_secret.ToString();
    auto secret = k8s::GetOrNull(local, kSecrets, options.platform_cert_secret.ns,
                                 options.platform_cert_secret.name);
    if (!secret.ok()) {
      return absl::Status(secret.status().code(),
                          fmt::format("reading Secret {} (the platform certificate) on this "
                                      "(standby) cluster: {}",
                                      name, secret.status().message()));
    }
    if (!secret->is_null()) {
      for (const char* key : {"ca.crt", "tls.crt"}) {
        auto pem = DataValue(*secret, key);
        if (!pem || Trim(*pem).empty()) continue;
        if (pem->size() > kMaxPemBytes) {
          return absl::InvalidArgumentError(
              fmt::format("Secret {}: key {} is larger than 64 KiB", name, key));
        }
        return std::make_pair(*std::move(pem), fmt::format("{} of Secret {}", key, name));
      }
    }
  }
  return std::make_pair(std::string(), std::string("the system's CA certificates"));
}

// The message for a refused token: one line that names the token Secret.
absl::Status Refused(const absl::Status& status, const Options& options,
                     const std::string& active_url) {
  const std::string secret = options.token_secret.ToString();
  if (absl::IsUnauthenticated(status)) {
    return absl::UnauthenticatedError(fmt::format(
        "the active cluster ({}) refused the token in Secret {} (401 Unauthorized): put the "
        "active cluster's current k8sadmin token in its key token and run the bootstrap again",
        active_url, secret));
  }
  return absl::PermissionDeniedError(
      fmt::format("the token in Secret {} may not read Secret {} on the active cluster ({}) (403 "
                  "Forbidden): use the active cluster's k8sadmin token",
                  secret, options.active_etcd_ca_secret.ToString(), active_url));
}

absl::StatusOr<CaPair> ReadActiveCa(k8s::RestClient& active, const Options& options,
                                    const std::string& active_url,
                                    const std::string& trusted_with) {
  const std::string name = options.active_etcd_ca_secret.ToString();
  auto secret =
      active.Get(kSecrets, options.active_etcd_ca_secret.ns, options.active_etcd_ca_secret.name);
  if (!secret.ok()) {
    const absl::Status& status = secret.status();
    if (absl::IsUnauthenticated(status) || absl::IsPermissionDenied(status)) {
      return Refused(status, options, active_url);
    }
    if (absl::IsNotFound(status)) {
      return absl::NotFoundError(fmt::format(
          "the active cluster ({}) has no Secret {}: set active-etcd-ca-secret to the Secret "
          "that holds its etcd CA certificate and key",
          active_url, name));
    }
    if (absl::IsUnavailable(status)) {
      return absl::UnavailableError(fmt::format(
          "the active cluster at {} cannot be reached: {} (its certificate is verified with {}; "
          "check active-global-vip, active-server-name and the ca.crt key of Secret {})",
          active_url, status.message(), trusted_with, options.token_secret.ToString()));
    }
    return absl::Status(status.code(),
                        fmt::format("reading the etcd CA Secret {} from the active cluster: {}",
                                    name, status.message()));
  }
  CaPair ca;
  for (const auto& [cert_key, key_key] : {std::pair{"tls.crt", "tls.key"}, {"ca.crt", "ca.key"}}) {
    auto cert = DataValue(*secret, cert_key);
    auto key = DataValue(*secret, key_key);
    if (cert && key) {
      ca.cert_pem = *std::move(cert);
      ca.key_pem = common::Secret(*std::move(key));
      break;
    }
  }
  const std::string what = fmt::format("Secret {} on the active cluster", name);
  if (ca.cert_pem.empty()) {
    return absl::InvalidArgumentError(
        what +
        ": no tls.crt/tls.key (or ca.crt/ca.key) pair; the bootstrap needs the etcd CA's "
        "certificate and key (a cert-manager CA Issuer signs with the key)");
  }
  RETURN_IF_ERROR(ValidateCaPair(ca, what));
  return ca;
}

// cert-manager.io/v1 serves both Issuer and Certificate on this cluster.
absl::StatusOr<bool> HasCertManager(k8s::RestClient& local) {
  auto response = local.Perform("GET", "/apis/cert-manager.io/v1");
  if (!response.ok()) return response.status();
  if (response->status == 404) return false;
  if (response->status != 200) {
    return k8s::ApiError(response->status, response->body,
                         "GET /apis/cert-manager.io/v1 on this (standby) cluster");
  }
  auto list = k8s::ParseApiAnswer(response->body, "GET /apis/cert-manager.io/v1");
  if (!list.ok()) return list.status();
  bool issuers = false;
  bool certificates = false;
  if (list->contains("resources") && (*list)["resources"].is_array()) {
    for (const json& resource : (*list)["resources"]) {
      const std::string name = k8s::StringField(resource, "name");
      issuers = issuers || name == "issuers";
      certificates = certificates || name == "certificates";
    }
  }
  return issuers && certificates;
}

json Metadata(const std::string& ns, const std::string& name) {
  return {{"name", name},
          {"namespace", ns},
          {"labels", {{"app.kubernetes.io/managed-by", kManagedBy}, {"app", "etcd-sync"}}}};
}

json TlsSecret(const std::string& ns, const std::string& name,
               const std::vector<std::pair<std::string, std::string>>& data) {
  json object = {{"apiVersion", "v1"},
                 {"kind", "Secret"},
                 {"metadata", Metadata(ns, name)},
                 {"type", "kubernetes.io/tls"},
                 {"data", json::object()}};
  for (const auto& [key, value] : data) object["data"][key] = common::EncodeBase64(value);
  return object;
}

// Creates `desired`, or brings an existing object's `fields` (and our labels) to it in
// place, with its resourceVersion: a concurrent change is a 409 and is read again. A Secret
// whose type differs (immutable) is replaced. Returns "created", "updated" or "".
absl::StatusOr<std::string> Apply(k8s::RestClient& client, const k8s::ResourceRef& ref,
                                  const json& desired, const std::vector<std::string>& fields) {
  const std::string ns = desired["metadata"]["namespace"];
  const std::string name = desired["metadata"]["name"];
  absl::Status last;
  for (int attempt = 0; attempt < 3; ++attempt) {
    ASSIGN_OR_RETURN(json existing, k8s::GetOrNull(client, ref, ns, name));
    if (existing.is_null()) {
      auto created = client.Create(ref, ns, desired);
      if (created.ok()) return std::string("created");
      last = created.status();
      if (absl::IsAlreadyExists(last)) continue;
      return last;
    }
    if (!existing.is_object() || !existing.contains("metadata") ||
        !existing["metadata"].is_object()) {
      return absl::DataLossError(
          fmt::format("{} {}/{}: the API server answered with something that is not an object",
                      ref.resource, ns, name));
    }
    if (existing["metadata"].contains("labels") && !existing["metadata"]["labels"].is_object()) {
      existing["metadata"].erase("labels");
    }
    if (ref.resource == "secrets" &&
        k8s::StringField(existing, "type", "Opaque") != desired["type"].get<std::string>()) {
      RETURN_IF_ERROR(client.Delete(ref, ns, name));
      auto created = client.Create(ref, ns, desired);
      if (!created.ok()) return created.status();
      return std::string("replaced (its type was not kubernetes.io/tls)");
    }
    json updated = existing;
    bool changed = false;
    for (const std::string& field : fields) {
      if (!existing.contains(field) || existing[field] != desired[field]) {
        updated[field] = desired[field];
        changed = true;
      }
    }
    for (const auto& [key, value] : desired["metadata"]["labels"].items()) {
      if (k8s::LabelOf(existing, key) != value.get<std::string>()) {
        updated["metadata"]["labels"][key] = value;
        changed = true;
      }
    }
    if (!changed) return std::string();
    auto written = client.Update(ref, ns, updated);
    if (written.ok()) return std::string("updated");
    last = written.status();
    if (!k8s::IsConflict(last)) return last;
  }
  return absl::AbortedError(
      fmt::format("{} {}/{}: changed by someone else three times while "
                  "the bootstrap wrote it; run it again: {}",
                  ref.resource, ns, name, last.message()));
}

absl::Status Record(absl::StatusOr<std::string> applied, const std::string& what, Result& result) {
  if (!applied.ok()) {
    return absl::Status(applied.status().code(), fmt::format("writing {} on this (standby) "
                                                             "cluster: {}",
                                                             what, applied.status().message()));
  }
  if (!applied->empty()) {
    result.changes.push_back(what + " " + *applied);
    spdlog::info("{} {}", what, *applied);
  }
  return absl::OkStatus();
}

// Polls until cert-manager wrote Secret remote-etcd-client signed by `ca` (or client_wait
// passed).
absl::Status WaitForIssuedClient(k8s::RestClient& local, const Options& options, const CaPair& ca) {
  const std::string what = fmt::format("Secret {}/{}", options.ns, kClientSecret);
  const absl::Duration step = absl::Seconds(1);
  absl::Duration waited;
  bool logged = false;
  while (true) {
    ASSIGN_OR_RETURN(json secret, k8s::GetOrNull(local, kSecrets, options.ns, kClientSecret));
    if (!secret.is_null()) {
      const std::optional<std::string> cert = DataValue(secret, "tls.crt");
      if (cert && SignedByAndFresh(*cert, ca.cert_pem, options.now(), absl::ZeroDuration())) {
        spdlog::info("cert-manager issued {} from Issuer {}", what, kIssuer);
        return absl::OkStatus();
      }
    }
    if (waited >= options.client_wait) break;
    if (!logged) {
      spdlog::info("waiting up to {}s for cert-manager to issue {} from Issuer {}",
                   absl::ToInt64Seconds(options.client_wait), what, kIssuer);
      logged = true;
    }
    options.sleep(step);
    waited += step;
  }
  return absl::DeadlineExceededError(fmt::format(
      "cert-manager did not issue {} from Issuer {} within {}s: check `kubectl -n {} describe "
      "certificate {}` and cert-manager's log, then run the bootstrap again",
      what, kIssuer, absl::ToInt64Seconds(options.client_wait), options.ns, kCertificate));
}

}  // namespace

absl::StatusOr<NamespacedName> ParseNamespacedName(const std::string& text,
                                                   const std::string& default_ns,
                                                   const std::string& setting) {
  NamespacedName result{default_ns, text};
  if (const size_t slash = text.find('/'); slash != std::string::npos) {
    result = {text.substr(0, slash), text.substr(slash + 1)};
  }
  if (!DnsName(result.ns, 63) || result.ns.find('.') != std::string::npos ||
      !DnsName(result.name, 253)) {
    return absl::InvalidArgumentError(fmt::format(
        "{} \"{}\": expected name or namespace/name (lowercase letters, digits, '-' and '.')",
        setting, text.substr(0, 300)));
  }
  return result;
}

absl::StatusOr<Result> Run(k8s::RestClient& local, const Options& options) {
  Result result;
  if (options.active_global_vip.empty()) {
    return absl::InvalidArgumentError(
        "--active-global-vip (config key active-global-vip) is required: the VIP of the active "
        "global cluster");
  }
  ASSIGN_OR_RETURN(std::string address, platform::NormalizePlatformAddress(
                                            options.active_global_vip, "--active-global-vip"));
  if (!address.starts_with("https://")) {
    return absl::InvalidArgumentError(
        fmt::format("--active-global-vip {}: the token travels only over https", address));
  }
  if (address.find('/', 8) != std::string::npos) {
    return absl::InvalidArgumentError(fmt::format(
        "--active-global-vip {}: give the VIP (host or host:port) without a path", address));
  }
  result.active_url = address + "/kubernetes/global";

  ASSIGN_OR_RETURN(Token token, ReadToken(local, options));
  ASSIGN_OR_RETURN(auto trust, ActiveTrust(local, options, token));
  result.trusted_with = trust.second;

  k8s::RestConfig config;
  config.server = result.active_url;
  config.ca_pem = trust.first;
  config.token = token.token;
  config.tls_server_name = options.active_server_name;
  config.source = "the active cluster " + result.active_url;
  k8s::RestClient active(std::move(config), options.timeout);
  spdlog::info("reading the etcd CA Secret {} from the active cluster {} (verified with {})",
               options.active_etcd_ca_secret.ToString(), result.active_url, result.trusted_with);
  ASSIGN_OR_RETURN(CaPair ca,
                   ReadActiveCa(active, options, result.active_url, result.trusted_with));

  ASSIGN_OR_RETURN(result.cert_manager, HasCertManager(local));
  const std::string& ns = options.ns;
  const std::string client_what = fmt::format("Secret {}/{}", ns, kClientSecret);
  ASSIGN_OR_RETURN(json client_secret, k8s::GetOrNull(local, kSecrets, ns, kClientSecret));
  const absl::Time now = options.now();
  // Current: ours to keep (self-signed path). Signed: cert-manager's to renew; only a
  // certificate from another CA (or none readable) is removed so that it issues anew.
  bool client_current = false;
  bool client_signed = false;
  if (!client_secret.is_null()) {
    const std::optional<std::string> cert = DataValue(client_secret, "tls.crt");
    const std::optional<std::string> client_ca = DataValue(client_secret, "ca.crt");
    client_signed = cert && SignedByAndFresh(*cert, ca.cert_pem, now, absl::ZeroDuration());
    client_current = client_signed &&
                     SignedByAndFresh(*cert, ca.cert_pem, now, options.renew_before) &&
                     (!client_ca || *client_ca == ca.cert_pem);
  }

  if (result.cert_manager) {
    json issuer = {{"apiVersion", "cert-manager.io/v1"},
                   {"kind", "Issuer"},
                   {"metadata", Metadata(ns, kIssuer)},
                   {"spec", {{"ca", {{"secretName", kRemoteCaSecret}}}}}};
    RETURN_IF_ERROR(Record(Apply(local, kIssuers, issuer, {"spec"}),
                           fmt::format("Issuer {}/{}", ns, kIssuer), result));
    json certificate = {
        {"apiVersion", "cert-manager.io/v1"},
        {"kind", "Certificate"},
        {"metadata", Metadata(ns, kCertificate)},
        {"spec",
         {{"secretName", kClientSecret},
          {"commonName", kClientCommonName},
          {"duration", "8760h"},
          {"renewBefore", "720h"},
          {"privateKey", {{"algorithm", "ECDSA"}, {"size", 256}, {"rotationPolicy", "Always"}}},
          {"usages", {"client auth", "digital signature"}},
          {"issuerRef", {{"name", kIssuer}, {"kind", "Issuer"}, {"group", "cert-manager.io"}}}}}};
    RETURN_IF_ERROR(Record(Apply(local, kCertificates, certificate, {"spec"}),
                           fmt::format("Certificate {}/{}", ns, kCertificate), result));
  } else if (!client_current) {
    ASSIGN_OR_RETURN(IssuedCert issued,
                     IssueClientCert(ca, kClientCommonName, now, options.client_validity));
    json secret = TlsSecret(ns, kClientSecret,
                            {{"tls.crt", issued.cert_pem},
                             {"tls.key", issued.key_pem.Reveal()},
                             {"ca.crt", ca.cert_pem}});
    RETURN_IF_ERROR(Record(Apply(local, kSecrets, secret, {"type", "data"}), client_what, result));
    result.client_issued = true;
    spdlog::info(
        "no cert-manager on this cluster (cert-manager.io/v1 Issuer/Certificate not served): "
        "signed {} itself with the active etcd CA (CN {}, client auth, EC P-256, valid until {})",
        client_what, kClientCommonName,
        absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", issued.not_after, absl::UTCTimeZone()));
  }

  // Last: while this Secret still differs from the active CA, the next run redoes the rest.
  json ca_secret = TlsSecret(
      ns, kRemoteCaSecret,
      {{"tls.crt", ca.cert_pem}, {"tls.key", ca.key_pem.Reveal()}, {"ca.crt", ca.cert_pem}});
  RETURN_IF_ERROR(Record(Apply(local, kSecrets, ca_secret, {"type", "data"}),
                         fmt::format("Secret {}/{}", ns, kRemoteCaSecret), result));

  if (result.cert_manager && !client_secret.is_null() && !client_signed) {
    // cert-manager does not reissue when its CA changes; without the Secret it issues anew.
    absl::Status deleted = local.Delete(kSecrets, ns, kClientSecret);
    if (!deleted.ok() && !absl::IsNotFound(deleted)) {
      return absl::Status(deleted.code(),
                          fmt::format("deleting {} (signed by another CA) so cert-manager issues "
                                      "it again: {}",
                                      client_what, deleted.message()));
    }
    result.changes.push_back(client_what + " deleted (cert-manager issues it again)");
    spdlog::info(
        "{} was not signed by the active etcd CA: deleted it so cert-manager issues it "
        "again from Issuer {}",
        client_what, kIssuer);
  }
  if (result.cert_manager && options.client_wait > absl::ZeroDuration()) {
    RETURN_IF_ERROR(WaitForIssuedClient(local, options, ca));
  }
  return result;
}

}  // namespace bootstrap
