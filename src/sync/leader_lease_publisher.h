// Publishes the etcd-sync leader as a coordination.k8s.io/v1 Lease on the standby cluster's
// API (cpaas-system/etcd-sync-mirror), so `kubectl get lease` and `ac adm dr` name it. The
// Lease only reports leadership; the etcd fence on the destination decides and guards writes.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "k8s/rest_config.h"
#include "sync/sync_stats.h"

namespace etcdsync {

struct LeaderLeaseOptions {
  std::string ns = "cpaas-system";
  std::string name = "etcd-sync-mirror";
  std::string identity;             // spec.holderIdentity: the pod name
  std::chrono::seconds ttl{10};     // spec.leaseDurationSeconds: the etcd leader lease TTL
  std::function<absl::Time()> now;  // injected for tests; default absl::Now
};

// --lease-namespace / --lease-name must be DNS-1123 names (lower case letters, digits, '-',
// '.'; a namespace at most 63 characters, a name at most 253); one line naming the flag.
absl::Status ValidateLeaderLeaseOptions(const LeaderLeaseOptions& options);

// A MicroTime as the API writes it: RFC 3339 in UTC with six fractional digits.
std::string FormatMicroTime(absl::Time time);

// The Lease to write for a term of `options.identity` that began at `acquired`, renewed at
// `now`, given the stored Lease (nullopt: none yet). Keeps the stored metadata (name,
// resourceVersion, labels...) and any fields it does not own; leaseTransitions grows by one
// when the holder changes (0 on a new Lease), acquireTime is `acquired` then and kept while
// the same holder renews.
nlohmann::json NextLeaseBody(const std::optional<nlohmann::json>& stored,
                             const LeaderLeaseOptions& options, absl::Time acquired,
                             absl::Time now);

// The API the publisher needs; NotFound from Get when there is no Lease, IsConflict from
// Update when resourceVersion is stale (k8s/api_error.h's codes).
class LeaseStore {
 public:
  virtual ~LeaseStore() = default;
  virtual absl::StatusOr<nlohmann::json> Get(const std::string& ns, const std::string& name) = 0;
  virtual absl::StatusOr<nlohmann::json> Create(const std::string& ns,
                                                const nlohmann::json& lease) = 0;
  virtual absl::StatusOr<nlohmann::json> Update(const std::string& ns,
                                                const nlohmann::json& lease) = 0;
};

// Leases through the Kubernetes REST client. `load` gives the connection settings; it runs
// again after a 401 (a rotated service account token) before the request is repeated once.
std::unique_ptr<LeaseStore> MakeRestLeaseStore(
    std::function<absl::StatusOr<k8s::RestConfig>()> load, std::chrono::milliseconds timeout);

class LeaderLeasePublisher {
 public:
  // `store` and `stats` must outlive the publisher. stats.lease_publish_failures counts
  // failed publishes, stats.lease_published_unix_ms is the time of the last good one.
  LeaderLeasePublisher(LeaseStore& store, LeaderLeaseOptions options, SyncStats& stats);

  // Writes the Lease once for the term that began at `acquired`: create when missing,
  // update with resourceVersion otherwise; a conflict reads it again (a few times). Without
  // `take_over`, a Lease held by another replica is left alone (FailedPrecondition): after
  // this replica published in its term, another holder means another replica won the etcd
  // election since, and this term is ending.
  absl::Status PublishOnce(absl::Time acquired, bool take_over = true);

  // While this replica leads: publishes at once and every TTL/3 until `term` fires, on a
  // background thread. Destroying the result stops renewing (the Lease is left for the next
  // leader to take over). API failures are logged once per outage; replication goes on.
  class Term {
   public:
    ~Term();
    Term(const Term&) = delete;
    Term& operator=(const Term&) = delete;

   private:
    friend class LeaderLeasePublisher;
    Term() = default;
    std::jthread thread_;
  };
  std::unique_ptr<Term> StartTerm(std::stop_token term);

  const LeaderLeaseOptions& options() const { return options_; }

 private:
  void Renew(std::stop_token stop, absl::Time acquired);
  absl::Time Now() const { return options_.now ? options_.now() : absl::Now(); }

  LeaseStore& store_;
  LeaderLeaseOptions options_;
  SyncStats& stats_;
  bool failing_ = false;  // only touched by the renewing thread (one term at a time)
  int64_t failures_in_outage_ = 0;
};

}  // namespace etcdsync
