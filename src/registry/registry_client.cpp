#include "registry/registry_client.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "bundle/digest.h"
#include "bundle/media_types.h"
#include "common/absl_fmt.h"
#include "common/base64.h"
#include "common/bounded_parse.h"
#include "common/status_macros.h"
#include "common/untrusted_text.h"
#include "registry/realm_policy.h"
#include "registry/www_authenticate.h"

namespace registry {
namespace {

std::string UrlEncode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string WithQuery(const std::string& url, const std::string& query) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + query;
}

// Network errors worth another attempt; a certificate, protocol or name problem is not.
bool IsTransient(const absl::Status& status) {
  if (!absl::IsUnavailable(status)) return false;
  const std::string_view message = common::View(status.message());
  for (int code : {CURLE_COULDNT_RESOLVE_HOST, CURLE_PEER_FAILED_VERIFICATION,
                   CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM}) {
    if (message.starts_with(fmt::format("curl{}:", code))) return false;
  }
  return true;
}

// Bytes an upload session holds, from its status `Range: 0-<last>`. Distribution writes
// "0-0" for an empty session as well as for one byte; reading it as empty costs at most a
// 416 and a fresh session, reading it as one byte would corrupt the blob. -1: unusable.
int64_t ParseUploadRange(const std::string& range) {
  const size_t dash = range.find('-');
  if (dash == std::string::npos) return -1;
  try {
    const int64_t last = std::stoll(range.substr(dash + 1));
    return last <= 0 ? 0 : last + 1;
  } catch (const std::exception&) {
    return -1;
  }
}

}  // namespace

RegistryClient::RegistryClient(RegistryOptions options)
    : options_(std::move(options)),
      transport_(options_.transport),
      journal_(options_.state_dir, options_.host) {}

std::string RegistryClient::BaseUrl() const {
  return (options_.transport.plain ? "http://" : "https://") + options_.host;
}

absl::StatusOr<std::string> RegistryClient::ResolveLocation(const std::string& location,
                                                            bool* same_origin) const {
  if (location.empty()) {
    return absl::InternalError(
        fmt::format("registry {}: response without Location", options_.host));
  }
  CURLU* url = curl_url();
  const std::string base = BaseUrl() + "/v2/";
  curl_url_set(url, CURLUPART_URL, base.c_str(), 0);
  std::string resolved;
  if (curl_url_set(url, CURLUPART_URL, location.c_str(), 0) == CURLUE_OK) {
    char* text = nullptr;
    if (curl_url_get(url, CURLUPART_URL, &text, 0) == CURLUE_OK) resolved = text;
    curl_free(text);
  }
  curl_url_cleanup(url);
  if (resolved.empty()) {
    return absl::InternalError(fmt::format("registry {}: unusable Location \"{}\"", options_.host,
                                           common::Clip(location)));
  }
  *same_origin = Origin(resolved) == Origin(BaseUrl());
  return resolved;
}

std::string RegistryClient::AuthorizationFor(const std::string& scope) {
  std::lock_guard lock(auth_mutex_);
  switch (auth_mode_) {
    case AuthMode::kBasic:
      return "Authorization: Basic " + common::EncodeBase64(options_.credentials.username + ":" +
                                                            options_.credentials.password.Reveal());
    case AuthMode::kBearer: {
      auto found = tokens_.find(scope);
      if (found != tokens_.end()) return "Authorization: Bearer " + found->second.Reveal();
      return "";
    }
    default:
      return "";
  }
}

absl::Status RegistryClient::Authorize(HttpSession& session, const HttpResponse& response,
                                       const std::string& scope, const std::string& failed_with) {
  const Challenge challenge = ParseChallenge(response.Header("www-authenticate"));
  const Credentials& credentials = options_.credentials;
  const auto rejected = [&] {
    if (credentials.identity_token()) {
      return absl::UnauthenticatedError(fmt::format(
          "registry {} rejected the identity token it was given — log in again (docker login) "
          "or pass --username and --password",
          options_.host));
    }
    return absl::UnauthenticatedError(fmt::format(
        "registry {} rejected the credentials of user \"{}\" — check --username and --password",
        options_.host, credentials.username));
  };
  const auto required = [&] {
    return absl::UnauthenticatedError(
        fmt::format("registry {} requires authentication — pass --username and --password (or "
                    "--password-stdin), or log in (docker login / podman login)",
                    options_.host));
  };
  if (challenge.scheme == "basic") {
    if (credentials.empty()) return required();
    if (credentials.identity_token()) {
      return absl::UnauthenticatedError(fmt::format(
          "registry {} asks for a password (Basic authentication), and the credentials found "
          "are an identity token, which only a token service takes — pass --username and "
          "--password",
          options_.host));
    }
    std::lock_guard lock(auth_mutex_);
    if (failed_with.starts_with("Authorization: Basic")) return rejected();
    auth_mode_ = AuthMode::kBasic;
    return absl::OkStatus();
  }
  if (challenge.scheme != "bearer" || !challenge.params.contains("realm")) {
    return absl::UnauthenticatedError(
        fmt::format("registry {} asks for unsupported authentication \"{}\"", options_.host,
                    common::Clip(response.Header("www-authenticate"))));
  }
  if (failed_with.starts_with("Authorization: Bearer")) {
    if (credentials.empty()) return required();
    return absl::PermissionDeniedError(fmt::format(
        "registry {} denied {} access to {} — grant the user push rights", options_.host,
        credentials.identity_token() ? std::string("the identity token's user")
                                     : fmt::format("user \"{}\"", credentials.username),
        scope.empty() ? "the registry" : scope));
  }
  // Where the credentials may go (realm_policy.h): refused with them, asked without them.
  const std::string& realm = challenge.params.at("realm");
  const absl::Status may_send = CredentialsMayGoToRealm(BaseUrl(), realm, options_.transport.plain);
  if (!may_send.ok() && (!absl::IsPermissionDenied(may_send) || !credentials.empty())) {
    return absl::Status(may_send.code(),
                        fmt::format("registry {}: {}", options_.host, may_send.message()));
  }
  std::lock_guard lock(auth_mutex_);
  auth_mode_ = AuthMode::kBearer;
  realm_ = realm;
  service_ = challenge.params.contains("service") ? challenge.params.at("service") : "";
  std::string url = realm_;
  std::vector<std::string> query;
  if (!service_.empty()) query.push_back("service=" + UrlEncode(service_));
  size_t start = 0;
  while (start < scope.size()) {  // several scopes, space-separated
    size_t end = scope.find(' ', start);
    if (end == std::string::npos) end = scope.size();
    if (end > start) query.push_back("scope=" + UrlEncode(scope.substr(start, end - start)));
    start = end + 1;
  }
  HttpRequest token_request;
  if (credentials.identity_token() && may_send.ok()) {
    // An identity token is an OAuth2 refresh token: POSTed as a form (docker's flow), and
    // the answer's access_token is the bearer token.
    query.insert(query.begin(), {"grant_type=refresh_token", "client_id=acp-image-sync",
                                 "refresh_token=" + UrlEncode(credentials.password.Reveal())});
    token_request.method = "POST";
    token_request.url = url;
    token_request.headers.push_back("Content-Type: application/x-www-form-urlencoded");
    for (const std::string& part : query) {
      token_request.body += (token_request.body.empty() ? "" : "&") + part;
    }
  } else {
    for (const std::string& part : query) url = WithQuery(url, part);
    token_request.url = url;
  }
  if (!credentials.empty() && !credentials.identity_token() && may_send.ok()) {
    token_request.headers.push_back(
        "Authorization: Basic " +
        common::EncodeBase64(credentials.username + ":" + credentials.password.Reveal()));
  }
  counters_.requests++;
  auto token_response = session.Perform(token_request);
  if (!token_response.ok()) {
    return absl::UnavailableError(
        fmt::format("registry {}: token service {} {}", options_.host, common::Clip(Origin(realm_)),
                    DescribeNetworkError(token_response.status(), options_.transport)));
  }
  // OAuth2 answers a refresh token it does not take with 400 (invalid_grant).
  if (token_response->status == 401 || token_response->status == 403 ||
      (token_response->status == 400 && credentials.identity_token())) {
    return credentials.empty() ? required() : rejected();
  }
  if (token_response->status != 200) {
    return absl::UnavailableError(fmt::format("registry {}: token service answered HTTP {}",
                                              options_.host, token_response->status));
  }
  auto parsed = common::ParseJsonBounded(token_response->body, common::kDefaultMaxJsonBytes,
                                         common::kDefaultMaxJsonDepth, "its answer");
  if (!parsed.ok()) {
    return absl::UnavailableError(fmt::format("registry {}: token service returned no token ({})",
                                              options_.host,
                                              common::View(parsed.status().message())));
  }
  std::string token;
  for (const char* key : {"token", "access_token"}) {
    if (token.empty() && parsed->is_object() && parsed->contains(key) &&
        (*parsed)[key].is_string()) {
      token = (*parsed)[key].get<std::string>();
    }
  }
  if (token.empty()) {
    return absl::UnavailableError(
        fmt::format("registry {}: token service returned no token", options_.host));
  }
  tokens_[scope] = common::Secret(std::move(token));
  return absl::OkStatus();
}

absl::StatusOr<HttpResponse> RegistryClient::SendOnce(HttpSession& session, const Call& call) {
  HttpRequest request = call.request;
  bool same_origin = true;
  for (int hop = 0; hop < 6; ++hop) {
    std::string authorization = same_origin ? AuthorizationFor(call.scope) : "";
    HttpRequest attempt = request;
    if (!authorization.empty()) attempt.headers.push_back(authorization);
    counters_.requests++;
    ASSIGN_OR_RETURN(HttpResponse response, session.Perform(attempt));
    if (response.status == 401 && same_origin) {
      RETURN_IF_ERROR(Authorize(session, response, call.scope, authorization));
      if (request.stream != nullptr) {
        // The body went out already; the caller rewinds and sends again.
        return absl::UnavailableError("authorization renewed");
      }
      HttpRequest again = request;
      const std::string renewed = AuthorizationFor(call.scope);
      if (!renewed.empty()) again.headers.push_back(renewed);
      counters_.requests++;
      ASSIGN_OR_RETURN(response, session.Perform(again));
      if (response.status == 401) {
        RETURN_IF_ERROR(Authorize(session, response, call.scope, renewed));
        return absl::UnauthenticatedError(
            fmt::format("registry {} keeps refusing authorization", options_.host));
      }
    }
    const bool redirect = response.status == 301 || response.status == 302 ||
                          response.status == 303 || response.status == 307 ||
                          response.status == 308;
    if (!redirect || (request.method != "GET" && request.method != "HEAD")) return response;
    // Follow, but never hand our credentials to another host.
    ASSIGN_OR_RETURN(request.url, ResolveLocation(response.Header("location"), &same_origin));
  }
  return absl::UnavailableError(fmt::format("registry {}: too many redirects", options_.host));
}

absl::StatusOr<HttpResponse> RegistryClient::Send(HttpSession& session, Call call) {
  const int attempts = call.retry ? std::max(1, options_.retry.max_attempts) : 1;
  for (int attempt = 1;; ++attempt) {
    auto response = SendOnce(session, call);
    std::chrono::milliseconds wait = options_.retry.Backoff(attempt + 1);
    if (response.ok()) {
      if (!IsRetryableStatus(response->status) || attempt >= attempts) return response;
      if (auto after =
              ParseRetryAfter(response->Header("retry-after"), std::chrono::system_clock::now())) {
        wait = std::min(*after, std::chrono::milliseconds(120000));
      }
      spdlog::debug("registry {}: {} {} answered HTTP {}; retrying in {} ms", options_.host,
                    call.request.method, call.request.url, response->status, wait.count());
    } else {
      if (!IsTransient(response.status()) || attempt >= attempts) return response;
      spdlog::debug("registry {}: {} failed ({}); retrying in {} ms", options_.host,
                    call.request.method, response.status().message(), wait.count());
    }
    std::this_thread::sleep_for(wait);
  }
}

absl::Status RegistryClient::ErrorFor(const HttpResponse& response, const std::string& what) const {
  std::string detail;
  try {
    // The body is cut at kMaxResponseBytes; an unparsable one just adds no detail.
    const auto parsed = common::ParseJsonBounded(response.body, kMaxResponseBytes,
                                                 common::kDefaultMaxJsonDepth, "error body")
                            .value_or(nlohmann::json());
    if (parsed.is_object() && parsed.contains("errors") && parsed["errors"].is_array() &&
        !parsed["errors"].empty()) {
      const auto& first = parsed["errors"][0];
      if (first.is_object()) {
        const auto text = [&](const char* key) {
          return first.contains(key) && first[key].is_string()
                     ? common::Clip(first[key].get<std::string>())
                     : std::string();
        };
        detail = fmt::format(" {}: {}", text("code"), text("message"));
      }
    }
  } catch (const nlohmann::json::exception&) {
  }
  const std::string message = fmt::format("registry {}: {} failed: HTTP {}{}", options_.host,
                                          common::Clip(what, 512), response.status, detail);
  switch (response.status) {
    case 401:
      return absl::UnauthenticatedError(message);
    case 403:
      return absl::PermissionDeniedError(message + " — check the user's push rights");
    case 404:
      return absl::NotFoundError(message);
    default:
      if (IsRetryableStatus(response.status)) return absl::UnavailableError(message);
      return absl::FailedPreconditionError(message);
  }
}

absl::Status RegistryClient::NetworkError(const absl::Status& status,
                                          const std::string& what) const {
  if (!absl::IsUnavailable(status) || !common::View(status.message()).starts_with("curl"))
    return status;
  return absl::UnavailableError(fmt::format("registry {}: {}: {}", options_.host,
                                            common::Clip(what, 512),
                                            DescribeNetworkError(status, options_.transport)));
}

absl::StatusOr<std::unique_ptr<RegistryClient>> RegistryClient::Connect(RegistryOptions options) {
  std::unique_ptr<RegistryClient> client(new RegistryClient(std::move(options)));
  auto session = client->NewSession();
  Call call;
  call.request.url = client->BaseUrl() + "/v2/";
  call.retry = false;
  auto response = client->Send(*session, call);
  // Refused on the very first request is a wrong --registry or a registry that is not
  // running, and one too slow for the limits (TransferLimits) will not be faster on the next
  // attempt: say so now rather than after minutes of backoff. Anything else is retried.
  const auto failed_with = [&](int code) {
    return !response.ok() &&
           common::View(response.status().message()).starts_with(fmt::format("curl{}:", code));
  };
  const bool refused = failed_with(CURLE_COULDNT_CONNECT) || failed_with(CURLE_ABORTED_BY_CALLBACK);
  if (!response.ok() && !refused) {
    call.retry = true;
    response = client->Send(*session, call);
  }
  if (!response.ok()) {
    if (absl::IsUnavailable(response.status()) &&
        common::View(response.status().message()).starts_with("curl")) {
      return absl::UnavailableError(
          fmt::format("registry {} {}", client->host(),
                      DescribeNetworkError(response.status(), client->options_.transport)));
    }
    return response.status();
  }
  if (response->status == 400 && client->options_.transport.plain &&
      response->body.find("HTTPS") != std::string::npos) {
    return absl::UnavailableError(
        fmt::format("registry {} serves HTTPS — drop --plain (add --ca-file if its CA is private)",
                    client->host()));
  }
  if (response->status != 200) {
    return absl::UnavailableError(fmt::format(
        "registry {} does not serve the registry API (GET /v2/ answered HTTP {}) — check "
        "--registry",
        client->host(), response->status));
  }
  // A registry that lets anyone read /v2/ may still require credentials to push; those
  // are checked on the first push request. Credentials we hold are tried right away.
  if (!client->options_.credentials.empty() && client->auth_mode_ == AuthMode::kAnonymous) {
    spdlog::debug("registry {} accepts anonymous requests; credentials will be used if asked",
                  client->host());
  }
  return client;
}

absl::StatusOr<std::optional<std::string>> RegistryClient::ManifestDigest(
    HttpSession& session, const std::string& repository, const std::string& reference) {
  Call call;
  call.request.method = "HEAD";
  call.request.url = fmt::format("{}/v2/{}/manifests/{}", BaseUrl(), repository, reference);
  call.request.headers.push_back("Accept: " + std::string(bundle::kAllManifestTypes));
  call.scope = fmt::format("repository:{}:pull,push", repository);
  const std::string what = fmt::format("HEAD manifest {}:{}", repository, reference);
  auto response = Send(session, call);
  if (!response.ok()) return NetworkError(response.status(), what);
  if (response->status == 404) return std::optional<std::string>();
  if (response->status != 200) return ErrorFor(*response, what);
  std::string digest = response->Header("docker-content-digest");
  if (digest.empty()) {
    call.request.method = "GET";
    ASSIGN_OR_RETURN(HttpResponse body, Send(session, call));
    if (body.status != 200) return ErrorFor(body, what);
    digest = bundle::Sha256Digest(body.body);
  }
  return std::optional<std::string>(digest);
}

absl::Status RegistryClient::PutManifest(HttpSession& session, const std::string& repository,
                                         const std::string& reference,
                                         const std::string& media_type, const std::string& bytes) {
  Call call;
  call.request.method = "PUT";
  call.request.url = fmt::format("{}/v2/{}/manifests/{}", BaseUrl(), repository, reference);
  call.request.headers.push_back("Content-Type: " + media_type);
  call.request.body = bytes;
  call.scope = fmt::format("repository:{}:pull,push", repository);
  const std::string what = fmt::format("PUT manifest {}:{}", repository, reference);
  auto response = Send(session, call);
  if (!response.ok()) return NetworkError(response.status(), what);
  if (response->status != 201 && response->status != 200) return ErrorFor(*response, what);
  const std::string expected = bundle::Sha256Digest(bytes);
  const std::string stored = response->Header("docker-content-digest");
  if (!stored.empty() && stored != expected) {
    return absl::DataLossError(fmt::format("registry {}: {} stored digest {}, expected {}",
                                           options_.host, what, common::Clip(stored), expected));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> RegistryClient::BlobExists(HttpSession& session, const std::string& repository,
                                                const std::string& digest) {
  Call call;
  call.request.method = "HEAD";
  call.request.url = fmt::format("{}/v2/{}/blobs/{}", BaseUrl(), repository, digest);
  call.scope = fmt::format("repository:{}:pull,push", repository);
  const std::string what = fmt::format("HEAD blob {} in {}", digest, repository);
  auto response = Send(session, call);
  if (!response.ok()) return NetworkError(response.status(), what);
  if (response->status == 404) return false;
  if (response->status >= 200 && response->status < 400) {
    journal_.Remove(digest);  // finished by an earlier run or another client
    return true;
  }
  return ErrorFor(*response, what);
}

absl::StatusOr<bool> RegistryClient::MountBlob(HttpSession& session, const std::string& repository,
                                               const std::string& digest, const std::string& from) {
  Call call;
  call.request.method = "POST";
  call.request.url = fmt::format("{}/v2/{}/blobs/uploads/?mount={}&from={}", BaseUrl(), repository,
                                 UrlEncode(digest), UrlEncode(from));
  call.scope = fmt::format("repository:{}:pull,push repository:{}:pull", repository, from);
  const std::string what = fmt::format("mount blob {} from {} into {}", digest, from, repository);
  auto response = Send(session, call);
  if (!response.ok()) return NetworkError(response.status(), what);
  if (response->status == 201) return true;
  if (response->status == 202) {
    // Declined: an upload session was opened instead; close it, the caller uploads.
    bool same_origin = false;
    auto location = ResolveLocation(response->Header("location"), &same_origin);
    if (location.ok() && same_origin) {
      Call cancel;
      cancel.request.method = "DELETE";
      cancel.request.url = *location;
      cancel.scope = fmt::format("repository:{}:pull,push", repository);
      cancel.retry = false;
      (void)Send(session, cancel);
    }
    return false;
  }
  return ErrorFor(*response, what);
}

absl::StatusOr<std::string> RegistryClient::StartUpload(HttpSession& session,
                                                        const std::string& repository,
                                                        const std::string& what) {
  Call call;
  call.request.method = "POST";
  call.request.url = fmt::format("{}/v2/{}/blobs/uploads/", BaseUrl(), repository);
  call.scope = fmt::format("repository:{}:pull,push", repository);
  auto response = Send(session, call);
  if (!response.ok()) return NetworkError(response.status(), "start upload of " + what);
  if (response->status != 202) return ErrorFor(*response, "start upload of " + what);
  bool same_origin = false;
  ASSIGN_OR_RETURN(std::string location,
                   ResolveLocation(response->Header("location"), &same_origin));
  if (!same_origin) {
    return absl::PermissionDeniedError(fmt::format(
        "registry {} sent the upload of {} to another host ({}); refusing to send data and "
        "credentials there",
        options_.host, what, common::Clip(Origin(location))));
  }
  return location;
}

absl::Status RegistryClient::UploadOnce(HttpSession& session, const std::string& repository,
                                        const bundle::Descriptor& blob, bundle::BlobReader& reader,
                                        JournalEntry& upload, const std::string& what,
                                        const std::function<void(int64_t)>& on_sent,
                                        int64_t& acknowledged) {
  const std::string scope = fmt::format("repository:{}:pull,push", repository);
  const bool chunked = options_.chunk_bytes > 0 && blob.size > options_.chunk_bytes;
  int64_t offset = 0;
  if (!upload.location.empty() && chunked) {
    // Resume where the server says the session stands: the latest URL first; some
    // registries only know a session by the URL that opened it. Distribution (docker-registry,
    // Harbor) signs the offset into every URL and refuses the session for good once it holds
    // bytes past it (a chunk cut off mid-body): then the blob starts afresh.
    std::vector<std::string> candidates = {upload.location};
    if (upload.first != upload.location) candidates.push_back(upload.first);
    bool resumed = false;
    for (const std::string& url : candidates) {
      if (url.empty()) continue;
      Call status;
      status.request.url = url;
      status.scope = scope;
      auto response = Send(session, status);
      if (!response.ok() || response->status != 204) continue;
      offset = ParseUploadRange(response->Header("range"));
      if (offset < 0 || offset > blob.size) continue;
      bool same_origin = false;
      auto moved = ResolveLocation(response->Header("location"), &same_origin);
      upload.location = moved.ok() && same_origin ? *moved : url;
      resumed = true;
      break;
    }
    if (!resumed) {
      spdlog::info("upload session of {} is gone; starting it again", what);
      upload.first.clear();
      upload.location.clear();
      offset = 0;
    } else {
      counters_.resumed_uploads++;
      if (offset > reader.position()) counters_.resumed_bytes += offset - reader.position();
      spdlog::info("resuming upload of {} at byte {} of {}", what, offset, blob.size);
    }
  }
  if (upload.location.empty()) {
    ASSIGN_OR_RETURN(upload.location, StartUpload(session, repository, what));
    upload.first = upload.location;
    upload.repository = repository;
    offset = 0;
  }
  const auto journal = [&](int64_t confirmed) {
    if (!chunked) return;
    upload.offset = confirmed;
    absl::Status saved = journal_.Save(blob.digest, upload);
    if (!saved.ok() && !journal_warned_.exchange(true)) {
      spdlog::warn("{}; an interrupted upload will start over after a restart", saved.message());
    }
  };
  journal(offset);
  const int64_t previous = reader.position();
  if (previous > offset) counters_.resent_bytes += previous - offset;
  RETURN_IF_ERROR(reader.Rewind(offset));
  // Progress counts what the registry holds: a rewind takes back what it never confirmed.
  if (on_sent) on_sent(offset - acknowledged);
  acknowledged = offset;
  const auto send_body = [&](const std::string& method, const std::string& url, int64_t length,
                             std::vector<std::string> headers) -> absl::StatusOr<HttpResponse> {
    Call call;
    call.request.method = method;
    call.request.url = url;
    call.request.headers = std::move(headers);
    call.request.headers.push_back("Content-Type: application/octet-stream");
    call.request.stream = &reader;
    call.request.stream_length = length;
    call.request.on_sent = [&](int64_t bytes) { counters_.sent_bytes += bytes; };
    call.scope = scope;
    call.retry = false;
    return Send(session, call);
  };
  const std::string digest_query = "digest=" + UrlEncode(blob.digest);
  if (!chunked) {
    auto response = send_body("PUT", WithQuery(upload.location, digest_query), blob.size, {});
    if (!response.ok()) return NetworkError(response.status(), "upload " + what);
    upload.location.clear();  // a failed monolithic session cannot be resumed
    if (response->status != 201) return ErrorFor(*response, "upload " + what);
    if (on_sent) on_sent(blob.size - acknowledged);
    acknowledged = blob.size;
    return absl::OkStatus();
  }
  while (offset < blob.size) {
    if (stopping()) {
      return absl::CancelledError(fmt::format(
          "interrupted during the upload of {} at byte {} of {}", what, offset, blob.size));
    }
    const int64_t length = std::min(options_.chunk_bytes, blob.size - offset);
    auto response = send_body("PATCH", upload.location, length,
                              {fmt::format("Content-Range: {}-{}", offset, offset + length - 1)});
    if (!response.ok()) return NetworkError(response.status(), "upload " + what);
    if (response->status != 202) {
      if (response->status == 416 || response->status == 404) upload.location.clear();
      return ErrorFor(*response, "upload chunk of " + what);
    }
    bool same_origin = false;
    ASSIGN_OR_RETURN(upload.location, ResolveLocation(response->Header("location"), &same_origin));
    if (!same_origin) {
      return absl::PermissionDeniedError(fmt::format(
          "registry {} moved the upload of {} to another host; refusing", options_.host, what));
    }
    offset += length;
    if (on_sent) on_sent(length);
    acknowledged = offset;
    journal(offset);
  }
  Call finish;
  finish.request.method = "PUT";
  finish.request.url = WithQuery(upload.location, digest_query);
  finish.request.commit_bytes = blob.size;
  finish.scope = scope;
  finish.retry = false;
  auto response = Send(session, finish);
  if (!response.ok()) return NetworkError(response.status(), "finish upload of " + what);
  if (response->status != 201) {
    upload.location.clear();
    return ErrorFor(*response, "finish upload of " + what);
  }
  return absl::OkStatus();
}

void RegistryClient::ForgetUpload(HttpSession& session, const std::string& repository,
                                  const std::string& digest, JournalEntry& upload) {
  if (!upload.location.empty()) {
    Call cancel;
    cancel.request.method = "DELETE";
    cancel.request.url = upload.location;
    cancel.scope = fmt::format("repository:{}:pull,push", repository);
    cancel.retry = false;
    (void)Send(session, cancel);
    upload.location.clear();
  }
  journal_.Remove(digest);
}

absl::Status RegistryClient::UploadBlob(HttpSession& session, const std::string& repository,
                                        const bundle::Descriptor& blob,
                                        const bundle::BlobLocation& location,
                                        const std::string& what,
                                        const std::function<void(int64_t)>& on_sent) {
  bundle::BlobReader reader(location, blob.digest, blob.size, what);
  JournalEntry upload;
  // A session an earlier (killed) run left behind; UploadOnce asks the registry where it
  // stands. Only URLs on the registry's own origin are used: never send data elsewhere.
  if (options_.chunk_bytes > 0 && blob.size > options_.chunk_bytes) {
    if (auto entry = journal_.Load(blob.digest); entry && entry->repository == repository) {
      bool first_ok = false, latest_ok = false;
      auto first = ResolveLocation(entry->first, &first_ok);
      auto latest = ResolveLocation(entry->location, &latest_ok);
      if (first.ok() && first_ok && latest.ok() && latest_ok) {
        upload = {repository, *first, *latest, entry->offset};
      }
    }
  }
  const int attempts = std::max(1, options_.retry.max_attempts);
  int64_t acknowledged = 0;  // blob bytes reported to on_sent: what the registry confirmed
  for (int attempt = 1;; ++attempt) {
    absl::Status status =
        UploadOnce(session, repository, blob, reader, upload, what, on_sent, acknowledged);
    if (status.ok()) {
      journal_.Remove(blob.digest);
      return status;
    }
    if (upload.location.empty()) journal_.Remove(blob.digest);
    if (absl::IsFailedPrecondition(status) &&
        common::View(status.message()).starts_with("bundle corrupt")) {
      ForgetUpload(session, repository, blob.digest, upload);  // nothing half-written left
      return status;
    }
    if (!absl::IsUnavailable(status) || attempt >= attempts) return status;
    const auto wait = options_.retry.Backoff(attempt + 1);
    spdlog::warn("upload of {} interrupted ({}); retrying in {} ms", what, status.message(),
                 wait.count());
    std::this_thread::sleep_for(wait);
  }
}

}  // namespace registry
