// Keeps an etcd lease alive from a background thread and tells the owner, through a
// stop token, the moment the lease can no longer be trusted to exist.
#pragma once

#include <chrono>
#include <stop_token>
#include <thread>

#include "etcd/client.h"

namespace etcd {

class LeaseKeeper {
 public:
  // Grants a lease of `ttl` and starts refreshing it every ttl/3.
  static absl::StatusOr<std::unique_ptr<LeaseKeeper>> Start(Client& client,
                                                            std::chrono::seconds ttl);
  // Stops refreshing and revokes the lease (best effort), so a successor need not wait.
  ~LeaseKeeper();

  int64_t id() const { return lease_id_; }
  // Requested when the lease expired or could not be refreshed before its deadline.
  std::stop_token lost() const { return lost_.get_token(); }

 private:
  LeaseKeeper(Client& client, int64_t lease_id, std::chrono::seconds ttl)
      : client_(client), lease_id_(lease_id), ttl_(ttl) {}
  void Run(std::stop_token stop);
  // One keep-alive round trip; returns the TTL the server granted (0: lease gone).
  absl::StatusOr<int64_t> KeepAliveOnce();

  Client& client_;
  int64_t lease_id_;
  std::chrono::seconds ttl_;
  std::stop_source lost_;
  std::jthread thread_;
};

}  // namespace etcd
