#include "sync/leader_lease_publisher.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>

#include "common/absl_fmt.h"
#include "k8s/api_error.h"
#include "k8s/resource_ref.h"
#include "k8s/rest_client.h"

namespace etcdsync {
namespace {

const k8s::ResourceRef kLeaseResource{"coordination.k8s.io", "v1", "leases", true};

// A stored Lease is read again at most this many times when updates keep conflicting.
constexpr int kConflictAttempts = 4;
// A Lease is a few hundred bytes; an answer past this is refused, not parsed.
constexpr size_t kMaxLeaseAnswerBytes = 1 << 20;

class RestLeaseStore : public LeaseStore {
 public:
  RestLeaseStore(std::function<absl::StatusOr<k8s::RestConfig>()> load,
                 std::chrono::milliseconds timeout)
      : load_(std::move(load)), timeout_(timeout) {}

  absl::StatusOr<nlohmann::json> Get(const std::string& ns, const std::string& name) override {
    return Call([&](k8s::RestClient& client) { return client.Get(kLeaseResource, ns, name); });
  }
  absl::StatusOr<nlohmann::json> Create(const std::string& ns,
                                        const nlohmann::json& lease) override {
    return Call([&](k8s::RestClient& client) { return client.Create(kLeaseResource, ns, lease); });
  }
  absl::StatusOr<nlohmann::json> Update(const std::string& ns,
                                        const nlohmann::json& lease) override {
    return Call([&](k8s::RestClient& client) { return client.Update(kLeaseResource, ns, lease); });
  }

 private:
  absl::StatusOr<nlohmann::json> Call(
      const std::function<absl::StatusOr<nlohmann::json>(k8s::RestClient&)>& request) {
    for (int attempt = 0;; ++attempt) {
      if (!client_) {
        absl::StatusOr<k8s::RestConfig> config = load_();
        if (!config.ok()) return config.status();
        // One attempt per call: the publisher retries on its own schedule (TTL/3).
        k8s::RetryPolicy once;
        once.max_attempts = 1;
        client_ = std::make_unique<k8s::RestClient>(*std::move(config), timeout_,
                                                    kMaxLeaseAnswerBytes, once);
      }
      absl::StatusOr<nlohmann::json> answer = request(*client_);
      if (answer.ok() || !absl::IsUnauthenticated(answer.status()) || attempt > 0) return answer;
      client_.reset();  // a rotated service account token: load the settings again
    }
  }

  std::function<absl::StatusOr<k8s::RestConfig>()> load_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<k8s::RestClient> client_;
};

// Sleeps for `delay` unless `stop` is requested first.
void SleepFor(std::chrono::milliseconds delay, std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any cv;
  std::unique_lock lock(mutex);
  cv.wait_for(lock, stop, delay, [] { return false; });
}

}  // namespace

absl::Status ValidateLeaderLeaseOptions(const LeaderLeaseOptions& options) {
  const auto check = [](const std::string& value, size_t limit, bool dots,
                        const char* flag) -> absl::Status {
    const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    bool ok =
        !value.empty() && value.size() <= limit && alnum(value.front()) && alnum(value.back());
    for (char c : value) ok = ok && (alnum(c) || c == '-' || (dots && c == '.'));
    if (ok) return absl::OkStatus();
    return absl::InvalidArgumentError(fmt::format(
        "{} \"{}\" is not a Kubernetes name: lower case letters, digits and '-'{}, at most {} "
        "characters, starting and ending with a letter or digit",
        flag, value.substr(0, 64), dots ? " or '.'" : "", limit));
  };
  if (absl::Status ns = check(options.ns, 63, false, "--lease-namespace"); !ns.ok()) return ns;
  return check(options.name, 253, true, "--lease-name");
}

std::string FormatMicroTime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", time, absl::UTCTimeZone());
}

nlohmann::json NextLeaseBody(const std::optional<nlohmann::json>& stored,
                             const LeaderLeaseOptions& options, absl::Time acquired,
                             absl::Time now) {
  nlohmann::json lease = stored && stored->is_object() ? *stored : nlohmann::json::object();
  lease["apiVersion"] = "coordination.k8s.io/v1";
  lease["kind"] = "Lease";
  if (!lease["metadata"].is_object()) lease["metadata"] = nlohmann::json::object();
  lease["metadata"]["name"] = options.name;
  lease["metadata"]["namespace"] = options.ns;
  if (!lease["spec"].is_object()) lease["spec"] = nlohmann::json::object();
  nlohmann::json& spec = lease["spec"];

  const bool existed = stored.has_value();
  const nlohmann::json* holder =
      spec.contains("holderIdentity") ? &spec["holderIdentity"] : nullptr;
  const bool same_holder =
      existed && holder && holder->is_string() && holder->get<std::string>() == options.identity;
  int64_t transitions = 0;
  if (spec.contains("leaseTransitions") && spec["leaseTransitions"].is_number_integer()) {
    transitions = std::max<int64_t>(0, spec["leaseTransitions"].get<int64_t>());
  }
  // As client-go counts them: every change of holder, including from an empty one.
  if (existed && !same_holder) ++transitions;

  spec["holderIdentity"] = options.identity;
  spec["leaseDurationSeconds"] = options.ttl.count();
  if (!same_holder || !spec.contains("acquireTime") || !spec["acquireTime"].is_string()) {
    spec["acquireTime"] = FormatMicroTime(acquired);
  }
  spec["renewTime"] = FormatMicroTime(now);
  spec["leaseTransitions"] = transitions;
  return lease;
}

std::unique_ptr<LeaseStore> MakeRestLeaseStore(
    std::function<absl::StatusOr<k8s::RestConfig>()> load, std::chrono::milliseconds timeout) {
  return std::make_unique<RestLeaseStore>(std::move(load), timeout);
}

LeaderLeasePublisher::LeaderLeasePublisher(LeaseStore& store, LeaderLeaseOptions options,
                                           SyncStats& stats)
    : store_(store), options_(std::move(options)), stats_(stats) {}

absl::Status LeaderLeasePublisher::PublishOnce(absl::Time acquired, bool take_over) {
  absl::Status last;
  for (int attempt = 0; attempt < kConflictAttempts; ++attempt) {
    absl::StatusOr<nlohmann::json> stored = store_.Get(options_.ns, options_.name);
    absl::StatusOr<nlohmann::json> written;
    if (stored.ok() && !take_over) {
      const nlohmann::json* holder = stored->contains("spec") && (*stored)["spec"].is_object() &&
                                             (*stored)["spec"].contains("holderIdentity")
                                         ? &(*stored)["spec"]["holderIdentity"]
                                         : nullptr;
      if (holder && holder->is_string() && holder->get<std::string>() != options_.identity) {
        return absl::FailedPreconditionError(
            fmt::format("Lease {}/{} was taken over by {}", options_.ns, options_.name,
                        holder->get<std::string>().substr(0, 253)));
      }
    }
    if (stored.ok()) {
      written = store_.Update(options_.ns, NextLeaseBody(*stored, options_, acquired, Now()));
    } else if (absl::IsNotFound(stored.status())) {
      written = store_.Create(options_.ns, NextLeaseBody(std::nullopt, options_, acquired, Now()));
    } else {
      return stored.status();
    }
    if (written.ok()) {
      stats_.lease_published_unix_ms = absl::ToUnixMillis(Now());
      const nlohmann::json& spec = (*written)["spec"];
      if (spec.is_object() && spec.contains("leaseTransitions") &&
          spec["leaseTransitions"].is_number_integer()) {
        stats_.lease_transitions = spec["leaseTransitions"].get<int64_t>();
      }
      return absl::OkStatus();
    }
    last = written.status();
    // Changed (or created) by someone else since it was read: read it again.
    if (!k8s::IsConflict(last) && !absl::IsAlreadyExists(last)) return last;
  }
  return absl::AbortedError(fmt::format("Lease {}/{} changed {} times while being written ({})",
                                        options_.ns, options_.name, kConflictAttempts,
                                        last.message()));
}

LeaderLeasePublisher::Term::~Term() = default;

std::unique_ptr<LeaderLeasePublisher::Term> LeaderLeasePublisher::StartTerm(std::stop_token term) {
  const absl::Time acquired = Now();
  std::unique_ptr<Term> started(new Term());
  started->thread_ = std::jthread([this, term, acquired](std::stop_token own) {
    // Stops when the term ends or the Term is destroyed, whichever comes first.
    std::stop_source either;
    std::stop_callback on_term(term, [&] { either.request_stop(); });
    std::stop_callback on_own(own, [&] { either.request_stop(); });
    Renew(either.get_token(), acquired);
  });
  return started;
}

void LeaderLeasePublisher::Renew(std::stop_token stop, absl::Time acquired) {
  const auto period = std::max<std::chrono::milliseconds>(
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.ttl) / 3,
      std::chrono::milliseconds(500));
  bool announced = false;
  while (!stop.stop_requested()) {
    // The first write of a term takes the Lease over; later ones only renew this holder's.
    absl::Status published = PublishOnce(acquired, /*take_over=*/!announced);
    if (stop.stop_requested()) break;  // the term ended while writing: say nothing more
    if (absl::IsFailedPrecondition(published)) {
      // Another replica won the etcd election: this term is ending; the fence stops writes.
      spdlog::warn("{}; not renewing it any more in this term", published.message());
      return;
    }
    if (published.ok()) {
      if (failing_) {
        spdlog::info("published Lease {}/{} again (holder {}) after {} failed attempts",
                     options_.ns, options_.name, options_.identity, failures_in_outage_);
        failing_ = false;
        failures_in_outage_ = 0;
      } else if (!announced) {
        spdlog::info("published Lease {}/{}: holder {}, leaseTransitions {}", options_.ns,
                     options_.name, options_.identity, stats_.lease_transitions.load());
      }
      announced = true;
    } else {
      ++stats_.lease_publish_failures;
      ++failures_in_outage_;
      if (!failing_) {
        spdlog::warn(
            "cannot publish the leader Lease {}/{} on the standby cluster's API ({}); "
            "replication goes on, retrying every {} ms",
            options_.ns, options_.name, published.message(), period.count());
        failing_ = true;
      }
    }
    SleepFor(period, stop);
  }
}

}  // namespace etcdsync
