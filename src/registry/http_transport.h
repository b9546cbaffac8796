// HTTP over libcurl for the registry client: one HttpSession (an easy handle that keeps its
// connections alive, HTTP/2 over TLS when offered) per worker; DNS and TLS sessions shared.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bundle/blob_reader.h"
#include "registry/transfer_limits.h"

namespace registry {

struct TransportOptions {
  bool plain = false;     // http:// instead of https://
  bool insecure = false;  // TLS without certificate verification
  std::string ca_file;    // extra trust anchors (PEM); the system store otherwise
  std::chrono::seconds connect_timeout{15};
  TransferLimits limits;  // minimum speed and deadlines (transfer_limits.h)
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;
  std::string body;                      // used when `stream` is null
  bundle::BlobReader* stream = nullptr;  // streamed body, from its current position
  int64_t stream_length = 0;             // bytes of `stream` to send
  std::function<void(int64_t)> on_sent;  // bytes of body handed to the socket
  int64_t commit_bytes = 0;  // a blob the registry verifies before it answers (finishing PUT)
};

// The most of an answer's body held in memory: manifests, token replies, upload sessions and
// error bodies are all small (containerd reads a manifest up to 4 MiB). A 2xx answer past it
// is refused; an error answer is kept cut at it (only a clipped part is quoted).
inline constexpr size_t kMaxResponseBytes = 4 << 20;

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lowercased; last value wins
  std::string body;
  std::string Header(const std::string& name) const {
    auto found = headers.find(name);
    return found == headers.end() ? std::string() : found->second;
  }
};

class HttpSession;

class Transport {
 public:
  explicit Transport(TransportOptions options);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  std::unique_ptr<HttpSession> NewSession();
  const TransportOptions& options() const { return options_; }

 private:
  friend class HttpSession;
  TransportOptions options_;
  void* share_ = nullptr;  // CURLSH*
  std::mutex locks_[8];
};

class HttpSession {
 public:
  ~HttpSession();
  // A network failure (no HTTP status) is Unavailable with curl's reason ("curl<code>: ...");
  // a request past its deadline or below the minimum speed (TransferLimits) is "curl42: "
  // and a line naming the flag; a body-stream failure (corrupt blob) is the stream's status;
  // a 2xx answer with a body past kMaxResponseBytes is FailedPrecondition (one line).
  absl::StatusOr<HttpResponse> Perform(const HttpRequest& request);

 private:
  friend class Transport;
  explicit HttpSession(Transport* transport);
  Transport* transport_;
  void* curl_;  // CURL*
};

// Network error classification for operator messages: what went wrong and which flag helps.
std::string DescribeNetworkError(const absl::Status& status, const TransportOptions& options);

}  // namespace registry
