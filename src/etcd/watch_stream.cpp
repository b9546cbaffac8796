#include "etcd/watch_stream.h"

#include <fmt/format.h>

#include "common/absl_fmt.h"

namespace etcd {

absl::Status CompactedError(std::string_view cluster, int64_t compact_revision) {
  return absl::OutOfRangeError(fmt::format("{}{}{}{}", cluster,
                                           ": watch: required revision has been compacted "
                                           "(compacted up to revision ",
                                           compact_revision, ")"));
}

absl::StatusOr<std::unique_ptr<WatchStream>> WatchStream::Open(Client& client,
                                                               const pb::WatchCreateRequest& create,
                                                               std::stop_token stop) {
  std::unique_ptr<WatchStream> watch(new WatchStream(client, client.CurrentStreamTarget()));
  client.PrepareStreamContext(watch->context_).IgnoreError();
  WatchStream* opening = watch.get();  // still alive once `watch` is moved out on return
  std::stop_callback cancel(stop, [opening] { opening->context_.TryCancel(); });
  if (stop.stop_requested()) return absl::CancelledError("watch cancelled");
  watch->stream_ = watch->target_.watch->Watch(&watch->context_);
  pb::WatchRequest request;
  *request.mutable_create_request() = create;
  if (!watch->stream_->Write(request)) return watch->StreamError("create");
  pb::WatchResponse response;
  if (!watch->stream_->Read(&response)) return watch->StreamError("create");
  if (response.compact_revision() > 0) {
    return CompactedError(client.cluster_name(), response.compact_revision());
  }
  if (!response.created() || response.canceled()) {
    return absl::FailedPreconditionError(
        fmt::format("{}{}{}{}{}", client.cluster_name(), " ", watch->target_.site.endpoint,
                    ": watch was not created: ", response.cancel_reason()));
  }
  watch->watch_id_ = response.watch_id();
  return watch;
}

WatchStream::~WatchStream() {
  if (stream_) {
    context_.TryCancel();
    stream_->Finish().ok();
  }
}

absl::Status WatchStream::StreamError(std::string_view what) {
  grpc::Status status = stream_->Finish();
  stream_.reset();
  if (cancelled_) return absl::CancelledError("watch cancelled");
  if (status.ok()) {
    status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "watch stream closed by the server");
  }
  if (IsRetriable(status)) client_.MarkFailed(target_.index);
  CallSite site = target_.site;
  site.operation = what;
  return FromGrpc(status, site);
}

absl::StatusOr<pb::WatchResponse> WatchStream::Next() {
  if (!stream_) return absl::FailedPreconditionError("watch stream is closed");
  pb::WatchResponse response;
  while (stream_->Read(&response)) {
    if (response.compact_revision() > 0) {
      return CompactedError(client_.cluster_name(), response.compact_revision());
    }
    if (response.canceled()) {
      return absl::UnavailableError(fmt::format("{}{}{}{}{}", client_.cluster_name(), " ",
                                                target_.site.endpoint,
                                                ": watch cancelled: ", response.cancel_reason()));
    }
    return response;
  }
  return StreamError("Watch");
}

absl::Status WatchStream::RequestProgress() {
  pb::WatchRequest request;
  request.mutable_progress_request();
  if (!stream_ || !stream_->Write(request)) {
    return absl::UnavailableError("watch stream is closed");
  }
  return absl::OkStatus();
}

void WatchStream::Cancel() {
  cancelled_ = true;
  context_.TryCancel();
}

}  // namespace etcd
