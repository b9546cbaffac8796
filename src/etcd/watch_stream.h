// One etcd Watch stream over a key range. Next() yields responses in revision order;
// compaction below the start revision surfaces as an error that IsCompacted() recognises.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <stop_token>

#include "absl/status/statusor.h"
#include "etcd/client.h"

namespace etcd {

class WatchStream {
 public:
  // Sends the create request and waits for the server to confirm it; `stop` cancels the
  // wait (an etcd that is frozen never confirms).
  static absl::StatusOr<std::unique_ptr<WatchStream>> Open(Client& client,
                                                           const pb::WatchCreateRequest& create,
                                                           std::stop_token stop = {});
  ~WatchStream();

  // Blocks for the next response carrying events or a progress notification.
  absl::StatusOr<pb::WatchResponse> Next();
  // Asks the server for a progress notification (answered through Next()).
  absl::Status RequestProgress();
  // Thread-safe: makes a blocked Next() return Cancelled.
  void Cancel();

 private:
  WatchStream(Client& client, Client::StreamTarget target)
      : client_(client), target_(std::move(target)) {}
  absl::Status StreamError(std::string_view what);

  Client& client_;
  Client::StreamTarget target_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<pb::WatchRequest, pb::WatchResponse>> stream_;
  int64_t watch_id_ = 0;
  bool cancelled_ = false;
};

// The error a watch reports when its start revision is below the compaction point.
absl::Status CompactedError(std::string_view cluster, int64_t compact_revision);

}  // namespace etcd
