#include "registry/http_transport.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "common/untrusted_text.h"

namespace registry {
namespace {

struct GlobalInit {
  GlobalInit() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

void LockShare(CURL*, curl_lock_data data, curl_lock_access, void* user) {
  static_cast<std::mutex*>(user)[static_cast<int>(data) % 8].lock();
}
void UnlockShare(CURL*, curl_lock_data data, void* user) {
  static_cast<std::mutex*>(user)[static_cast<int>(data) % 8].unlock();
}

struct Transfer {
  const HttpRequest* request = nullptr;
  HttpResponse* response = nullptr;
  size_t body_offset = 0;
  absl::Status stream_status;
  const TransferLimits* limits = nullptr;
  StallMeter* meter = nullptr;
  std::chrono::steady_clock::time_point start;
  std::chrono::milliseconds deadline{0};
  int64_t body_bytes = 0;
  std::string limit_hit;         // why OnProgress stopped the transfer
  bool body_over_limit = false;  // OnBody stopped it at kMaxResponseBytes
};

// The deadline and the minimum speed. Bytes are due while the body goes out and while the
// answer's body comes in; not while the registry thinks (the deadline bounds that).
int OnProgress(void* user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
               curl_off_t ulnow) {
  auto* transfer = static_cast<Transfer*>(user);
  const auto now = std::chrono::steady_clock::now();
  if (now - transfer->start > transfer->deadline) {
    transfer->limit_hit =
        DescribeDeadline(*transfer->limits, transfer->deadline, transfer->body_bytes);
    return 1;
  }
  const bool due =
      (ultotal > 0 && ulnow < ultotal) || (dlnow > 0 && (dltotal == 0 || dlnow < dltotal));
  if (!due) {
    transfer->meter->Pause();
    return 0;
  }
  int64_t moved = 0;
  if (transfer->meter->Stalled(now, static_cast<int64_t>(ulnow + dlnow), &moved)) {
    transfer->limit_hit = DescribeStall(*transfer->limits, moved);
    return 1;
  }
  return 0;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    transfer->response->headers.clear();  // a new response (after 100-continue, redirects)
    return size * count;
  }
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() &&
           (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.remove_suffix(1);
    }
    transfer->response->headers[name] = std::string(value);
  }
  return size * count;
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  std::string& body = transfer->response->body;
  const size_t bytes = size * count;
  if (body.size() + bytes > kMaxResponseBytes) {
    body.append(data, kMaxResponseBytes - body.size());
    transfer->body_over_limit = true;
    return 0;  // stops the transfer (CURLE_WRITE_ERROR)
  }
  body.append(data, bytes);
  return bytes;
}

size_t OnRead(char* buffer, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const HttpRequest& request = *transfer->request;
  size_t produced = 0;
  if (request.stream != nullptr) {
    const int64_t left = request.stream_length - static_cast<int64_t>(transfer->body_offset);
    const size_t want = static_cast<size_t>(std::min<int64_t>(left, size * count));
    if (want == 0) {
      // The declared range is sent; at the blob's end this verifies size and digest.
      if (request.stream->position() == request.stream->size()) {
        char probe;
        auto tail = request.stream->Read(&probe, 1);
        if (!tail.ok()) {
          transfer->stream_status = tail.status();
          return CURL_READFUNC_ABORT;
        }
      }
      return 0;
    }
    size_t filled = 0;
    while (filled < want) {
      auto got = request.stream->Read(buffer + filled, want - filled);
      if (!got.ok()) {
        transfer->stream_status = got.status();
        return CURL_READFUNC_ABORT;
      }
      if (*got == 0) break;
      filled += *got;
    }
    if (filled < want) {
      transfer->stream_status = absl::FailedPreconditionError("blob ended early");
      return CURL_READFUNC_ABORT;
    }
    // curl asks for no more once the declared length is out, so verify size and digest
    // before handing over the last bytes: a corrupt blob never completes an upload.
    if (transfer->body_offset + filled == static_cast<size_t>(request.stream_length) &&
        request.stream->position() == request.stream->size()) {
      char probe;
      auto tail = request.stream->Read(&probe, 1);
      if (!tail.ok()) {
        transfer->stream_status = tail.status();
        return CURL_READFUNC_ABORT;
      }
    }
    produced = filled;
  } else {
    const size_t left = request.body.size() - transfer->body_offset;
    produced = std::min(left, size * count);
    std::copy_n(request.body.data() + transfer->body_offset, produced, buffer);
  }
  transfer->body_offset += produced;
  if (request.on_sent && produced > 0) request.on_sent(static_cast<int64_t>(produced));
  return produced;
}

}  // namespace

Transport::Transport(TransportOptions options) : options_(std::move(options)) {
  static GlobalInit init;
  CURLSH* share = curl_share_init();
  curl_share_setopt(share, CURLSHOPT_LOCKFUNC, LockShare);
  curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, UnlockShare);
  curl_share_setopt(share, CURLSHOPT_USERDATA, locks_);
  curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  share_ = share;
}

Transport::~Transport() { curl_share_cleanup(static_cast<CURLSH*>(share_)); }

std::unique_ptr<HttpSession> Transport::NewSession() {
  return std::unique_ptr<HttpSession>(new HttpSession(this));
}

HttpSession::HttpSession(Transport* transport) : transport_(transport), curl_(curl_easy_init()) {}

HttpSession::~HttpSession() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

absl::StatusOr<HttpResponse> HttpSession::Perform(const HttpRequest& request) {
  CURL* curl = static_cast<CURL*>(curl_);
  const TransportOptions& options = transport_->options_;
  curl_easy_reset(curl);  // keeps the live connections and the TLS session cache
  HttpResponse response;
  Transfer transfer;
  transfer.request = &request;
  transfer.response = &response;
  StallMeter meter(options.limits);
  transfer.limits = &options.limits;
  transfer.meter = &meter;
  transfer.start = std::chrono::steady_clock::now();
  transfer.body_bytes =
      request.stream != nullptr ? request.stream_length : static_cast<int64_t>(request.body.size());
  transfer.deadline = RequestDeadline(options.limits, transfer.body_bytes, request.commit_bytes);
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_SHARE, transport_->share_);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);  // redirects are ours to vet
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT,
                   static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");  // a token realm is a URL too
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, OnProgress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
  // Backstop should the progress callback not run (it runs at least once a second).
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(transfer.deadline.count() + 5000));
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, 256L * 1024);
  curl_easy_setopt(curl, CURLOPT_UPLOAD_BUFFERSIZE, 2L * 1024 * 1024);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "acp-image-sync/1");
  if (!options.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options.ca_file.c_str());
  if (options.insecure) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  const bool has_body = request.stream != nullptr || !request.body.empty() ||
                        request.method == "PUT" || request.method == "PATCH" ||
                        request.method == "POST";
  const curl_off_t length = request.stream != nullptr
                                ? static_cast<curl_off_t>(request.stream_length)
                                : static_cast<curl_off_t>(request.body.size());
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (has_body) {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, length);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, OnRead);
    curl_easy_setopt(curl, CURLOPT_READDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Expect:");  // we authenticate first: no 100-continue RTT
  for (const std::string& header : request.headers)
    headers = curl_slist_append(headers, header.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  const CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (!transfer.stream_status.ok()) return transfer.stream_status;
  if (code == CURLE_ABORTED_BY_CALLBACK && !transfer.limit_hit.empty()) {
    return absl::UnavailableError(
        fmt::format("curl{}: {}", static_cast<int>(code), transfer.limit_hit));
  }
  if (code == CURLE_WRITE_ERROR && transfer.body_over_limit) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
    if (response.status < 200 || response.status >= 300) return response;  // error body, cut
    return absl::FailedPreconditionError(fmt::format(
        "registry answer to {} {} is more than {} bytes (the most a manifest or token reply may "
        "have); refusing it",
        request.method, common::Clip(request.url), kMaxResponseBytes));
  }
  if (code != CURLE_OK) {
    const std::string reason = error[0] != '\0' ? error : curl_easy_strerror(code);
    // The curl code travels in the message's first token for DescribeNetworkError.
    return absl::UnavailableError(fmt::format("curl{}: {}", static_cast<int>(code), reason));
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

std::string DescribeNetworkError(const absl::Status& status, const TransportOptions& options) {
  std::string_view message(status.message().data(), status.message().size());
  int code = -1;
  if (message.starts_with("curl")) {
    const size_t colon = message.find(':');
    code = std::atoi(std::string(message.substr(4, colon - 4)).c_str());
    message = message.substr(colon + 2);
  }
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
      return fmt::format("cannot resolve the host ({}) — check --registry", message);
    case CURLE_COULDNT_CONNECT:
      return fmt::format("unreachable ({}) — check --registry and that the registry is running",
                         message);
    case CURLE_OPERATION_TIMEDOUT:
      return fmt::format("timed out ({}) — check the network path to the registry", message);
    case CURLE_PEER_FAILED_VERIFICATION:
      return fmt::format(
          "TLS certificate not trusted ({}) — pass --ca-file <ca.crt> (or --insecure)", message);
    case CURLE_SSL_CONNECT_ERROR:
      if (message.find("wrong version number") != std::string_view::npos) {
        return "does not speak TLS — pass --plain if it serves plain HTTP";
      }
      return fmt::format("TLS handshake failed ({}){}", message,
                         options.ca_file.empty() ? " — check --ca-file" : "");
    case CURLE_ABORTED_BY_CALLBACK:  // a TransferLimits line, naming its flag
      return std::string(message);
    case CURLE_SSL_CACERT_BADFILE:
      return fmt::format("cannot use --ca-file {} ({})", options.ca_file, message);
    default:
      return std::string(message);
  }
}

}  // namespace registry
