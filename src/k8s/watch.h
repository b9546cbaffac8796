// A Kubernetes watch (GET ...?watch=true) as client-go's StreamWatcher reads it: the chunked
// body is a stream of newline-delimited WatchEvent objects; each is bounded and handed over.
// RestClient::Watch (rest_client.h) runs the request; WatchEventSplitter is the pure decoder.
//
// Contract of RestClient::Watch:
// - Threads: it blocks the calling thread; the callback runs on that thread, once per
//   ADDED/MODIFIED/DELETED/BOOKMARK event, in the server's order. The callback may use the
//   same RestClient (every request has its own connection) but must not start another Watch
//   on it recursively without bound. Nothing runs after Watch returns.
// - Ownership: the event (and its object) lives only for the callback's call; copy what you keep.
// - Ending: OK when the server ends the stream (its timeoutSeconds, a restart) or the callback
//   returned false (WatchEnd::stopped); the caller re-lists or re-watches from
//   WatchEnd::resource_version. Errors (one line each, naming the server and the request):
//     OutOfRange       410 Gone, or an ERROR event with code 410: the resourceVersion is too
//                      old (compacted); IsResourceExpired(): re-list, then watch again.
//     Unimplemented    the server answered 400/404/405 to ?watch: it does not serve watch here;
//                      IsWatchUnsupported(): fall back to polling.
//     DeadlineExceeded `deadline` passed while watching.
//     ResourceExhausted one event longer than the client's max response bytes.
//     DataLoss         an event that is not JSON, nests too deep, or is not a WatchEvent.
//     Unavailable etc. network/TLS failures and other API errors as RestClient's other calls;
//                      also a stream still open 30 s past the timeoutSeconds asked for.
//   429/5xx are not retried here (the caller re-lists and re-watches, with its own pause).
// - It goes through the same auth/TLS/proxy/exec-credential path as the other requests.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace k8s {

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark };

struct WatchEvent {
  WatchEventType type = WatchEventType::kAdded;
  nlohmann::json object;  // the object; for a BOOKMARK only metadata.resourceVersion is meaningful
};

// Returns false to stop the watch.
using WatchCallback = std::function<bool(const WatchEvent&)>;

struct WatchOptions {
  std::string field_selector;  // "metadata.name=global"
  std::string label_selector;  // "app=x"
  // From a Get/List: the events after it. Empty: the server sends the current objects as
  // ADDED first (its "0"/unset semantics), then the changes.
  std::string resource_version;
  // Asked of the server (timeoutSeconds), capped by the deadline; it then ends the stream.
  std::chrono::seconds server_timeout{300};
  bool allow_bookmarks = true;  // allowWatchBookmarks=true
};

struct WatchEnd {
  bool stopped = false;          // the callback returned false
  std::string resource_version;  // the last one seen (or the one the watch started from)
};

// 410 Gone (HTTP or ERROR event): re-list, then watch from the new resourceVersion.
inline bool IsResourceExpired(const absl::Status& status) { return absl::IsOutOfRange(status); }
// The server answered 400/404/405 to the watch request: poll instead.
inline bool IsWatchUnsupported(const absl::Status& status) { return absl::IsUnimplemented(status); }

// Decodes a watch body fed in arbitrary chunks (as libcurl's write callback gets them): one
// WatchEvent per line, blank lines skipped, "\r\n" accepted. A line longer than
// `max_event_bytes` is refused as soon as it is seen (before its end arrives). After an error
// or a stop every later Feed returns the same result without calling back.
class WatchEventSplitter {
 public:
  // `what` names the watch in errors: "watch https://host/apis/...".
  WatchEventSplitter(size_t max_event_bytes, std::string what);

  // Calls `on_event` for each complete event in `chunk`. OK to go on; an error (see the
  // contract above: ResourceExhausted, DataLoss, OutOfRange for ERROR 410, the API error an
  // ERROR event carries otherwise) ends the watch. `stopped()` is true once `on_event`
  // returned false.
  absl::Status Feed(std::string_view chunk, const WatchCallback& on_event);
  // The end of the stream: a last event without its newline is decoded too.
  absl::Status Finish(const WatchCallback& on_event);

  bool stopped() const { return stopped_; }
  // The last resourceVersion an event carried ("" when none did).
  const std::string& resource_version() const { return resource_version_; }

 private:
  absl::Status Line(std::string_view line, const WatchCallback& on_event);

  size_t max_event_bytes_;
  std::string what_;
  std::string pending_;  // the start of a line whose end has not arrived
  absl::Status failed_;
  bool stopped_ = false;
  std::string resource_version_;
};

}  // namespace k8s
