#include "k8s/rest_client.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "common/absl_fmt.h"
#include "common/bounded_parse.h"
#include "common/status_macros.h"
#include "common/untrusted_text.h"
#include "k8s/api_error.h"
#include "k8s/json_fields.h"
#include "k8s/watch.h"

namespace k8s {
namespace {

// How long past its own timeoutSeconds a watch stream may stay open.
constexpr int64_t kWatchGraceMs = 30000;

struct BodySink {
  std::string* body;
  size_t limit;
  bool over_limit = false;
  // A watch: a 2xx body goes to `stream` as it arrives (an error answer is kept in `body`).
  CURL* curl = nullptr;
  const std::function<bool(std::string_view)>* stream = nullptr;
  bool stream_stopped = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  const size_t bytes = size * count;
  if (sink->stream != nullptr) {
    long code = 0;
    curl_easy_getinfo(sink->curl, CURLINFO_RESPONSE_CODE, &code);
    if (code >= 200 && code < 300) {
      if ((*sink->stream)(std::string_view(data, bytes))) return bytes;
      sink->stream_stopped = true;
      return 0;  // stops the transfer (CURLE_WRITE_ERROR)
    }
  }
  if (sink->body->size() + bytes > sink->limit) {
    sink->over_limit = true;
    return 0;  // stops the transfer (CURLE_WRITE_ERROR)
  }
  sink->body->append(data, bytes);
  return bytes;
}

// Keeps the Retry-After header of the (last) answer.
size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  const size_t bytes = size * count;
  std::string_view line(data, bytes);
  constexpr std::string_view kName = "retry-after:";
  if (line.size() > kName.size() && line.size() < 256) {
    std::string lower(line.substr(0, kName.size()));
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == kName) {
      std::string_view value = line.substr(kName.size());
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
      while (!value.empty() &&
             (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
        value.remove_suffix(1);
      *static_cast<std::string*>(user) = std::string(value);
    }
  }
  return bytes;
}

void SetBlob(CURL* curl, CURLoption option, const std::string& pem) {
  curl_blob blob{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_COPY};
  curl_easy_setopt(curl, option, &blob);
}

std::string Escape(CURL* curl, const std::string& text) {
  char* escaped = curl_easy_escape(curl, text.c_str(), static_cast<int>(text.size()));
  std::string out = escaped == nullptr ? text : escaped;
  curl_free(escaped);
  return out;
}

bool IsTlsError(CURLcode code) {
  switch (code) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_USE_SSL_FAILED:
      return true;
    default:
      return false;
  }
}

struct ServerAuthority {
  std::string scheme, authority, host, prefix;
  int port = 0;
};

// "https://[fd00::1]:6443/prefix" -> https, "[fd00::1]:6443", "[fd00::1]", 6443, "/prefix".
absl::StatusOr<ServerAuthority> SplitServer(const std::string& server) {
  ServerAuthority out;
  const size_t scheme_end = server.find("://");
  if (scheme_end == std::string::npos) {
    return absl::InvalidArgumentError(
        fmt::format("server {} has no scheme; write https://host:port", server));
  }
  out.scheme = server.substr(0, scheme_end);
  const size_t start = scheme_end + 3;
  const size_t slash = server.find('/', start);
  out.authority =
      server.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
  out.prefix = slash == std::string::npos ? "" : server.substr(slash);
  const size_t bracket = out.authority.rfind(']');
  const size_t colon = out.authority.rfind(':');
  if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
    out.host = out.authority.substr(0, colon);
    out.port = std::atoi(out.authority.c_str() + colon + 1);
  } else {
    out.host = out.authority;
    out.port = out.scheme == "https" ? 443 : 80;
  }
  if (out.host.empty() || out.port <= 0 || out.port > 65535) {
    return absl::InvalidArgumentError(fmt::format("server {}: no valid host:port in it", server));
  }
  return out;
}

}  // namespace

struct RestClient::ExecCache {
  std::mutex mutex;
  std::optional<ExecCredential> credential;
};

absl::StatusOr<ExecCredential> RestClient::ExecCredentialFor(bool refresh) {
  std::lock_guard lock(exec_cache_->mutex);
  auto& cached = exec_cache_->credential;
  if (cached && !refresh && (!cached->expiry || absl::Now() < *cached->expiry)) return *cached;
  cached.reset();
  const std::string what = fmt::format("exec credential plugin \"{}\" ({})",
                                       common::Clip(config_.exec->command, 200), config_.source);
  auto credential = RunExecPlugin(*config_.exec, what, config_.server, config_.ca_pem);
  if (!credential.ok()) return credential.status();
  cached = *credential;
  return credential;
}

absl::StatusOr<nlohmann::json> ParseApiAnswer(std::string_view body, const std::string& what) {
  auto parsed =
      common::ParseJsonBounded(body, body.size(), kMaxApiJsonDepth, "the server's answer");
  if (!parsed.ok()) {
    return absl::DataLossError(
        fmt::format("{}: {}", what, common::View(parsed.status().message())));
  }
  return parsed;
}

RestClient::RestClient(RestConfig config, std::chrono::milliseconds timeout,
                       size_t max_response_bytes, RetryPolicy retry)
    : config_(std::move(config)),
      exec_cache_(std::make_shared<ExecCache>()),
      retry_(std::move(retry)),
      timeout_(timeout),
      max_response_bytes_(max_response_bytes) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  while (!config_.server.empty() && config_.server.back() == '/') config_.server.pop_back();
  if (!retry_.random) {
    retry_.random = [] {
      thread_local std::mt19937_64 engine{std::random_device{}()};
      return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
    };
  }
  if (!retry_.now) retry_.now = [] { return absl::Now(); };
  if (!retry_.sleep)
    retry_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

std::optional<std::chrono::milliseconds> RetryDelay(const std::string& method,
                                                    const RestResponse& response, int attempt,
                                                    const RetryPolicy& policy) {
  if (attempt >= policy.max_attempts) return std::nullopt;
  const long status = response.status;
  const bool idempotent =
      method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE";
  const bool retryable =
      status == 429 || (status >= 500 && status <= 599 && status != 501 && idempotent);
  if (!retryable) return std::nullopt;
  const std::string& after = response.retry_after;
  if (!after.empty() && after.size() <= 64) {
    if (std::all_of(after.begin(), after.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      const long long seconds = after.size() > 9 ? 1000000000LL : std::stoll(after);
      return std::min<std::chrono::milliseconds>(std::chrono::seconds(seconds), policy.max_delay);
    }
    absl::Time when;
    std::string error;
    if (absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", after, absl::UTCTimeZone(), &when, &error)) {
      const absl::Duration wait = std::max(absl::ZeroDuration(), when - policy.now());
      return std::min<std::chrono::milliseconds>(
          std::chrono::milliseconds(absl::ToInt64Milliseconds(wait)), policy.max_delay);
    }
  }
  std::chrono::milliseconds delay = policy.base_delay;
  for (int i = 1; i < attempt && delay < policy.max_delay; ++i) delay *= 2;
  delay = std::min(delay, policy.max_delay);
  // Jitter: somewhere in [delay/2, delay), so that many clients do not retry in step.
  return delay / 2 + std::chrono::milliseconds(static_cast<int64_t>(
                         static_cast<double>(delay.count() / 2) * policy.random()));
}

absl::StatusOr<RestResponse> RestClient::Perform(const std::string& method, const std::string& path,
                                                 const std::string& body,
                                                 const std::string& content_type) {
  for (int attempt = 1;; ++attempt) {
    auto response = PerformWithCredential(method, path, body, content_type);
    if (!response.ok()) return response;
    const auto delay = RetryDelay(method, *response, attempt, retry_);
    if (!delay) return response;
    retry_.sleep(*delay);
  }
}

absl::StatusOr<RestResponse> RestClient::PerformWithCredential(const std::string& method,
                                                               const std::string& path,
                                                               const std::string& body,
                                                               const std::string& content_type,
                                                               const Stream* stream) {
  if (!config_.exec) return PerformOnce(method, path, body, content_type, nullptr, stream);
  ASSIGN_OR_RETURN(ExecCredential credential, ExecCredentialFor(/*refresh=*/false));
  auto response = PerformOnce(method, path, body, content_type, &credential, stream);
  if (!response.ok() || response->status != 401) return response;
  // The credential may have been revoked or rotated before its expiry: one fresh try.
  ASSIGN_OR_RETURN(credential, ExecCredentialFor(/*refresh=*/true));
  return PerformOnce(method, path, body, content_type, &credential, stream);
}

absl::StatusOr<RestResponse> RestClient::PerformOnce(
    const std::string& method, const std::string& path, const std::string& body,
    const std::string& content_type, const ExecCredential* credential, const Stream* stream) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> handle(curl_easy_init(), &curl_easy_cleanup);
  CURL* curl = handle.get();
  if (curl == nullptr) return absl::InternalError("libcurl: curl_easy_init failed");
  std::string url = config_.server + path;
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> connect_to(nullptr,
                                                                         &curl_slist_free_all);
  std::string host_header;
  if (!config_.tls_server_name.empty()) {
    // libcurl checks the certificate against the URL's host: put tls-server-name there and
    // connect to the real address (CURLOPT_CONNECT_TO); Host still names the real server.
    ASSIGN_OR_RETURN(const ServerAuthority authority, SplitServer(config_.server));
    url = fmt::format("{}://{}:{}{}{}", authority.scheme, config_.tls_server_name, authority.port,
                      authority.prefix, path);
    connect_to.reset(
        curl_slist_append(nullptr, fmt::format("{}:{}:{}:{}", config_.tls_server_name,
                                               authority.port, authority.host, authority.port)
                                       .c_str()));
    curl_easy_setopt(curl, CURLOPT_CONNECT_TO, connect_to.get());
    host_header = "Host: " + authority.authority;
  }
  if (!config_.proxy_url.empty()) curl_easy_setopt(curl, CURLOPT_PROXY, config_.proxy_url.c_str());
  RestResponse response;
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  const std::chrono::milliseconds timeout = stream != nullptr ? stream->timeout : timeout_;
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min<int64_t>(timeout.count(), 10000)));
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "acp-k8s-rest/1");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  BodySink sink{&response.body, max_response_bytes_};
  if (stream != nullptr) {
    // A watch is idle for minutes: keepalive notices a peer that vanished without a FIN.
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    sink.curl = curl;
    sink.stream = &stream->on_data;
  }
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.retry_after);
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method != "GET" && method != "DELETE") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  if (!config_.ca_pem.empty()) SetBlob(curl, CURLOPT_CAINFO_BLOB, config_.ca_pem);
  if (!config_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, config_.ca_file.c_str());
  if (!config_.client_cert_pem.empty()) {
    SetBlob(curl, CURLOPT_SSLCERT_BLOB, config_.client_cert_pem);
    curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
  }
  if (!config_.client_cert_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLCERT, config_.client_cert_file.c_str());
  }
  if (!config_.client_key_pem.empty()) {
    SetBlob(curl, CURLOPT_SSLKEY_BLOB, config_.client_key_pem.Reveal());
    curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
  }
  if (!config_.client_key_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLKEY, config_.client_key_file.c_str());
  }
  if (config_.insecure_skip_tls_verify) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(nullptr,
                                                                      &curl_slist_free_all);
  auto add_header = [&](const std::string& line) {
    headers.reset(curl_slist_append(headers.release(), line.c_str()));
  };
  add_header("Accept: application/json");
  if (!host_header.empty()) add_header(host_header);
  if (!body.empty()) add_header("Content-Type: " + content_type);
  if (credential != nullptr && !credential->client_cert_pem.empty()) {
    SetBlob(curl, CURLOPT_SSLCERT_BLOB, credential->client_cert_pem);
    curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
    SetBlob(curl, CURLOPT_SSLKEY_BLOB, credential->client_key_pem.Reveal());
    curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
  }
  if (credential != nullptr && !credential->token.empty()) {
    add_header("Authorization: Bearer " + credential->token.Reveal());
  } else if (!config_.token.empty()) {
    add_header("Authorization: Bearer " + config_.token.Reveal());
  } else if (!config_.username.empty()) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERNAME, config_.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, config_.password.Reveal().c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());

  const CURLcode code = curl_easy_perform(curl);
  if (code == CURLE_WRITE_ERROR && sink.stream_stopped) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
    return response;  // the watch's reader ended it
  }
  if (code == CURLE_WRITE_ERROR && sink.over_limit) {
    return absl::ResourceExhaustedError(fmt::format(
        "the answer of {} ({}) to {} {} is more than {} bytes; refusing it", config_.server,
        config_.source, method, common::Clip(path), max_response_bytes_));
  }
  if (code != CURLE_OK) {
    const std::string reason = error[0] != '\0' ? error : curl_easy_strerror(code);
    if (IsTlsError(code)) {
      return absl::UnavailableError(
          fmt::format("TLS failure talking to the Kubernetes API server {} ({}): {}; check its "
                      "certificate-authority and client certificate/key",
                      config_.server, config_.source, reason));
    }
    return absl::UnavailableError(fmt::format("cannot reach the Kubernetes API server {} ({}): {}",
                                              config_.server, config_.source, reason));
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

absl::StatusOr<nlohmann::json> RestClient::Json(const std::string& method, const std::string& path,
                                                const std::string& body,
                                                const std::string& content_type) {
  ASSIGN_OR_RETURN(RestResponse response, Perform(method, path, body, content_type));
  const std::string what = fmt::format("{} {}{}", method, config_.server, path);
  if (response.status < 200 || response.status >= 300) {
    return ApiError(response.status, response.body, what);
  }
  return ParseApiAnswer(response.body, what);
}

absl::StatusOr<nlohmann::json> RestClient::Get(const ResourceRef& ref, const std::string& ns,
                                               const std::string& name) {
  return Json("GET", ResourcePath(ref, ns, name));
}

absl::StatusOr<nlohmann::json> RestClient::List(const ResourceRef& ref, const std::string& ns,
                                                const std::string& label_selector) {
  std::string path = ResourcePath(ref, ns);
  if (!label_selector.empty()) {
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
    path += "?labelSelector=" + Escape(curl.get(), label_selector);
  }
  return Json("GET", path);
}

absl::StatusOr<nlohmann::json> RestClient::Create(const ResourceRef& ref, const std::string& ns,
                                                  const nlohmann::json& object) {
  return Json("POST", ResourcePath(ref, ns), object.dump());
}

absl::StatusOr<nlohmann::json> RestClient::Update(const ResourceRef& ref, const std::string& ns,
                                                  const nlohmann::json& object) {
  const std::string name = NameOf(object);
  if (name.empty()) return absl::InvalidArgumentError("update: the object has no metadata.name");
  return Json("PUT", ResourcePath(ref, ns, name), object.dump());
}

absl::StatusOr<nlohmann::json> RestClient::UpdateStatus(const ResourceRef& ref,
                                                        const std::string& ns,
                                                        const nlohmann::json& object) {
  const std::string name = NameOf(object);
  if (name.empty()) {
    return absl::InvalidArgumentError("update status: the object has no metadata.name");
  }
  return Json("PUT", ResourcePath(ref, ns, name, "status"), object.dump());
}

absl::StatusOr<nlohmann::json> RestClient::MergePatch(const ResourceRef& ref, const std::string& ns,
                                                      const std::string& name,
                                                      const nlohmann::json& patch,
                                                      const std::string& subresource) {
  return Json("PATCH", ResourcePath(ref, ns, name, subresource), patch.dump(),
              "application/merge-patch+json");
}

absl::Status RestClient::Delete(const ResourceRef& ref, const std::string& ns,
                                const std::string& name) {
  return Json("DELETE", ResourcePath(ref, ns, name)).status();
}

absl::StatusOr<WatchEnd> RestClient::Watch(const ResourceRef& ref, const std::string& ns,
                                           const WatchOptions& options,
                                           const WatchCallback& callback,
                                           std::chrono::steady_clock::time_point deadline) {
  const std::string collection = ResourcePath(ref, ns);
  const std::string what = fmt::format("watch {}{}", config_.server, collection);
  const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (remaining.count() <= 0) {
    return absl::DeadlineExceededError(fmt::format("{}: the deadline passed", what));
  }
  // The server ends the stream by itself before the deadline where it can: a clean end.
  const int64_t seconds =
      std::clamp<int64_t>(std::chrono::duration_cast<std::chrono::seconds>(remaining).count(), 1,
                          std::max<int64_t>(1, options.server_timeout.count()));
  std::string path = fmt::format("{}?watch=true&timeoutSeconds={}", collection, seconds);
  {
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
    if (options.allow_bookmarks) path += "&allowWatchBookmarks=true";
    if (!options.resource_version.empty()) {
      path += "&resourceVersion=" + Escape(curl.get(), options.resource_version);
    }
    if (!options.field_selector.empty()) {
      path += "&fieldSelector=" + Escape(curl.get(), options.field_selector);
    }
    if (!options.label_selector.empty()) {
      path += "&labelSelector=" + Escape(curl.get(), options.label_selector);
    }
  }
  WatchEventSplitter splitter(max_response_bytes_, what);
  absl::Status decoded;
  Stream stream{[&](std::string_view data) {
                  decoded = splitter.Feed(data, callback);
                  return decoded.ok() && !splitter.stopped();
                },
                // The server ends the stream at timeoutSeconds; one that stays silent well
                // past it is treated as gone (Unavailable) rather than waited on to the deadline.
                std::min(remaining, std::chrono::milliseconds(seconds * 1000 + kWatchGraceMs))};
  auto response = PerformWithCredential("GET", path, "", "application/json", &stream);
  if (!response.ok()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return absl::DeadlineExceededError(
          fmt::format("{}: the deadline passed while watching", what));
    }
    return response.status();
  }
  const long status = response->status;
  if (status == 400 || status == 404 || status == 405) {
    return absl::UnimplementedError(
        fmt::format("{}: the server does not serve watch here; {}", what,
                    common::View(ApiError(status, response->body, "it answered").message())));
  }
  if (status == 410) {
    return absl::OutOfRangeError(
        fmt::format("{}; list again and watch from the new resourceVersion",
                    common::View(ApiError(status, response->body, what).message())));
  }
  if (status < 200 || status >= 300) return ApiError(status, response->body, what);
  if (!decoded.ok()) return decoded;
  RETURN_IF_ERROR(splitter.Finish(callback));
  WatchEnd end;
  end.stopped = splitter.stopped();
  end.resource_version =
      splitter.resource_version().empty() ? options.resource_version : splitter.resource_version();
  return end;
}

}  // namespace k8s
