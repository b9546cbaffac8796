// OCI distribution client for one registry: ping, blob HEAD/upload (monolithic or chunked,
// resumed in-process and, through the upload journal, across restarts)/mount, manifest
// HEAD/PUT; anonymous, Basic and Bearer auth.
// Thread-safe; each worker passes its own HttpSession (its connections).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "bundle/oci_layout.h"
#include "registry/credentials.h"
#include "registry/http_transport.h"
#include "registry/retry_policy.h"
#include "registry/upload_journal.h"

namespace registry {

struct RegistryOptions {
  std::string host;  // "registry.example.com:5000"
  TransportOptions transport;
  Credentials credentials;
  RetryPolicy retry;
  int64_t chunk_bytes = 0;  // > 0: blobs larger than this go up in chunks of this size
  std::string state_dir;    // chunked uploads are journaled here; empty: no resume on restart
  // Once true (SIGTERM, Ctrl-C), chunked uploads stop at the next chunk boundary, where
  // every registry can resume them, and new work fails with Cancelled.
  const std::atomic<bool>* stop = nullptr;
};

struct Counters {
  std::atomic<int64_t> requests{0};
  std::atomic<int64_t> resent_bytes{0};  // body bytes sent again after a failure
  std::atomic<int64_t> resumed_uploads{0};
  std::atomic<int64_t> sent_bytes{0};     // blob body bytes handed to the network
  std::atomic<int64_t> resumed_bytes{0};  // bytes the registry already held on resuming
};

class RegistryClient {
 public:
  // Checks that the host speaks the distribution API and that the credentials (if any)
  // are accepted. Errors are one line: what is wrong and which flag fixes it.
  static absl::StatusOr<std::unique_ptr<RegistryClient>> Connect(RegistryOptions options);

  std::unique_ptr<HttpSession> NewSession() { return transport_.NewSession(); }

  // Digest the registry holds for repository:reference; nullopt when it has none.
  absl::StatusOr<std::optional<std::string>> ManifestDigest(HttpSession& session,
                                                            const std::string& repository,
                                                            const std::string& reference);
  absl::Status PutManifest(HttpSession& session, const std::string& repository,
                           const std::string& reference, const std::string& media_type,
                           const std::string& bytes);
  absl::StatusOr<bool> BlobExists(HttpSession& session, const std::string& repository,
                                  const std::string& digest);
  // True when mounted; false when the registry declined (the blob must be uploaded).
  absl::StatusOr<bool> MountBlob(HttpSession& session, const std::string& repository,
                                 const std::string& digest, const std::string& from);
  // Streams the blob at `location` (verified against descriptor) into repository. `what` names
  // errors; `on_sent` reports body bytes as the registry acknowledges them (each chunk's 202, a
  // monolithic upload's 201; negative after a rewind past what it confirmed).
  absl::Status UploadBlob(HttpSession& session, const std::string& repository,
                          const bundle::Descriptor& blob, const bundle::BlobLocation& location,
                          const std::string& what, const std::function<void(int64_t)>& on_sent);

  const std::string& host() const { return options_.host; }
  bool stopping() const { return options_.stop != nullptr && options_.stop->load(); }
  const Counters& counters() const { return counters_; }

 private:
  explicit RegistryClient(RegistryOptions options);

  struct Call {
    HttpRequest request;
    std::string scope;  // "repository:acp/x:pull,push" (plus mount sources, space-separated)
    bool retry = true;  // false: the caller retries at a higher level
  };
  absl::StatusOr<HttpResponse> Send(HttpSession& session, Call call);
  absl::StatusOr<HttpResponse> SendOnce(HttpSession& session, const Call& call);
  absl::Status Authorize(HttpSession& session, const HttpResponse& challenge_response,
                         const std::string& scope, const std::string& failed_with);
  std::string AuthorizationFor(const std::string& scope);
  std::string BaseUrl() const;
  // Absolute URL for a Location header, and whether it stays on the registry's origin.
  absl::StatusOr<std::string> ResolveLocation(const std::string& location, bool* same_origin) const;
  absl::Status ErrorFor(const HttpResponse& response, const std::string& what) const;
  absl::Status NetworkError(const absl::Status& status, const std::string& what) const;
  absl::StatusOr<std::string> StartUpload(HttpSession& session, const std::string& repository,
                                          const std::string& what);
  absl::Status UploadOnce(HttpSession& session, const std::string& repository,
                          const bundle::Descriptor& blob, bundle::BlobReader& reader,
                          JournalEntry& upload, const std::string& what,
                          const std::function<void(int64_t)>& on_sent, int64_t& acknowledged);

  void ForgetUpload(HttpSession& session, const std::string& repository, const std::string& digest,
                    JournalEntry& upload);

  RegistryOptions options_;
  Transport transport_;
  UploadJournal journal_;
  std::atomic<bool> journal_warned_{false};
  Counters counters_;
  std::mutex auth_mutex_;
  enum class AuthMode { kAnonymous, kBasic, kBearer } auth_mode_ = AuthMode::kAnonymous;
  std::string realm_, service_;
  std::map<std::string, common::Secret> tokens_;  // scope -> bearer token
};

}  // namespace registry
