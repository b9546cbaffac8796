#include "etcd/lease_keeper.h"

#include <condition_variable>
#include <mutex>

#include "common/absl_fmt.h"
#include "spdlog/spdlog.h"

namespace etcd {

absl::StatusOr<std::unique_ptr<LeaseKeeper>> LeaseKeeper::Start(Client& client,
                                                                std::chrono::seconds ttl) {
  auto granted = client.LeaseGrant(ttl.count());
  if (!granted.ok()) return granted.status();
  std::unique_ptr<LeaseKeeper> keeper(new LeaseKeeper(client, granted->id(), ttl));
  keeper->thread_ = std::jthread([k = keeper.get()](std::stop_token stop) { k->Run(stop); });
  return keeper;
}

LeaseKeeper::~LeaseKeeper() {
  thread_.request_stop();
  thread_.join();
  if (!lost_.stop_requested()) client_.LeaseRevoke(lease_id_).IgnoreError();
}

absl::StatusOr<int64_t> LeaseKeeper::KeepAliveOnce() {
  Client::StreamTarget target = client_.CurrentStreamTarget();
  grpc::ClientContext context;
  client_.PrepareStreamContext(context).IgnoreError();
  context.set_deadline(std::chrono::system_clock::now() + ttl_ / 3);
  auto stream = target.lease->LeaseKeepAlive(&context);
  pb::LeaseKeepAliveRequest request;
  request.set_id(lease_id_);
  pb::LeaseKeepAliveResponse response;
  bool ok = stream->Write(request) && stream->Read(&response);
  stream->WritesDone();
  context.TryCancel();
  grpc::Status status = stream->Finish();
  if (!ok) {
    if (IsRetriable(status)) client_.MarkFailed(target.index);
    CallSite site = target.site;
    site.operation = "LeaseKeepAlive";
    return FromGrpc(status.ok() ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "no answer") : status,
                    site);
  }
  return response.ttl();
}

void LeaseKeeper::Run(std::stop_token stop) {
  using Clock = std::chrono::steady_clock;
  Clock::time_point expires = Clock::now() + ttl_;
  std::mutex mutex;
  std::condition_variable_any wake;
  while (!stop.stop_requested()) {
    const Clock::time_point sent = Clock::now();
    auto ttl = KeepAliveOnce();
    if (ttl.ok() && *ttl <= 0) {
      spdlog::warn("{}: lease {:x} expired", client_.cluster_name(), lease_id_);
      lost_.request_stop();
      return;
    }
    if (ttl.ok()) {
      expires = sent + std::chrono::seconds(*ttl);
    } else {
      spdlog::warn("lease {:x} keep-alive failed: {}", lease_id_, ttl.status().message());
    }
    // Give up a little before the server would, so we never act on an expired lease.
    if (Clock::now() + ttl_ / 6 >= expires) {
      spdlog::warn("{}: lease {:x} could not be refreshed before it expires",
                   client_.cluster_name(), lease_id_);
      lost_.request_stop();
      return;
    }
    const auto pause = ttl.ok() ? ttl_ / 3 : std::chrono::seconds(1);
    std::unique_lock lock(mutex);
    wake.wait_for(lock, stop, std::chrono::duration_cast<Clock::duration>(pause),
                  [] { return false; });
  }
}

}  // namespace etcd
