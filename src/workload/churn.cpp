#include "workload/churn.h"

#include <fmt/format.h>

#include <condition_variable>
#include <optional>

namespace workload {

ChurnWriter::ChurnWriter(etcd::Client& client, ChurnOptions options)
    : client_(client), options_(std::move(options)), random_(options_.seed) {}

void ChurnWriter::Start() {
  thread_ = std::jthread([this](std::stop_token stop) { Run(stop); });
}

void ChurnWriter::Stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

ChurnRecord ChurnWriter::record() const {
  std::lock_guard lock(mutex_);
  return record_;
}

void ChurnWriter::Run(std::stop_token stop) {
  using Clock = std::chrono::steady_clock;
  std::mutex mutex;
  std::condition_variable_any wake;
  auto next = Clock::now();
  while (!stop.stop_requested()) {
    const int64_t written = Step();
    next += std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(static_cast<double>(written) / options_.writes_per_second));
    // Behind by more than a second (the cluster stalled): carry on at the rate, no burst.
    if (Clock::now() - next > std::chrono::seconds(1)) next = Clock::now();
    std::unique_lock lock(mutex);
    wake.wait_until(lock, stop, next, [] { return false; });
  }
}

std::string ChurnWriter::Uid() {
  return fmt::format("{:08x}-0000-4000-8000-{:012x}", options_.seed & 0xffffffff, ++sequence_);
}

std::string ChurnWriter::Key(const std::string& resource, const std::string& ns,
                             const std::string& name) const {
  return ns.empty() ? fmt::format("{}{}/{}", options_.prefix, resource, name)
                    : fmt::format("{}{}/{}/{}", options_.prefix, resource, ns, name);
}

std::string ChurnWriter::Object(const std::string& kind, const std::string& api_version,
                                const std::string& ns, const std::string& name,
                                const std::string& uid, int64_t generation,
                                const std::string& owner_kind, const std::string& owner_name,
                                const std::string& owner_uid) {
  std::string owners;
  if (!owner_uid.empty()) {
    owners = fmt::format(
        R"(,"ownerReferences":[{{"apiVersion":"apps/v1","kind":"{}","name":"{}","uid":"{}","controller":true,"blockOwnerDeletion":true}}])",
        owner_kind, owner_name, owner_uid);
  }
  return fmt::format(
      R"({{"kind":"{}","apiVersion":"{}","metadata":{{"name":"{}","namespace":"{}","uid":"{}","generation":{}{}}},"spec":{{"pad":"{}"}}}})",
      kind, api_version, name, ns, uid, generation, owners, std::string(96 + random_() % 256, 'x'));
}

std::vector<ChurnWriter::Op> ChurnWriter::ChainKeys(const Deployment& d, bool remove) {
  std::vector<Op> ops;
  // Dependents first, as the garbage collector deletes them.
  for (int p = 0; p < options_.pods_per_replicaset; ++p) {
    ops.push_back({Key("pods", d.ns, fmt::format("{}-rs-{}", d.name, p)), "", remove});
  }
  ops.push_back({Key("replicasets", d.ns, d.name + "-rs"), "", remove});
  ops.push_back({Key("deployments", d.ns, d.name), "", remove});
  return ops;
}

bool ChurnWriter::Commit(const std::vector<Op>& ops) {
  etcd::pb::TxnRequest txn;
  for (const Op& op : ops) {
    if (op.remove) {
      txn.add_success()->mutable_request_delete_range()->set_key(op.key);
    } else {
      auto* put = txn.add_success()->mutable_request_put();
      put->set_key(op.key);
      put->set_value(op.value);
    }
  }
  const bool ok = client_.Txn(txn).ok();
  std::lock_guard lock(mutex_);
  ++record_.txns;
  if (!ok) ++record_.failed_txns;
  for (const Op& op : ops) {
    record_.written_once.erase(op.key);
    if (!ok) {
      record_.expected.erase(op.key);
      record_.deleted.erase(op.key);
      record_.uncertain.insert(op.key);
      continue;
    }
    ++record_.writes;
    record_.uncertain.erase(op.key);
    if (op.remove) {
      record_.expected.erase(op.key);
      record_.deleted.insert(op.key);
    } else {
      record_.expected[op.key] = op.value;
      record_.deleted.erase(op.key);
      if (op.once) record_.written_once.insert(op.key);
    }
  }
  return ok;
}

int64_t ChurnWriter::Step() {
  const std::string ns = fmt::format("churn-{}-{:02}", options_.name, random_() % 8);
  const uint64_t dice = random_() % 100;
  if (dice < 25 && deployments_.size() < options_.live_deployments) {
    // A Deployment, its ReplicaSet, then its Pods in one Txn: three requests, as the
    // controllers make them, each owner before its dependents.
    Deployment d{ns, fmt::format("web-{}", sequence_ + 1), Uid(), "", 1};
    d.rs_uid = Uid();
    if (!Commit({{Key("deployments", ns, d.name),
                  Object("Deployment", "apps/v1", ns, d.name, d.uid, 1)}})) {
      return 1;
    }
    if (!Commit({{Key("replicasets", ns, d.name + "-rs"),
                  Object("ReplicaSet", "apps/v1", ns, d.name + "-rs", d.rs_uid, 1, "Deployment",
                         d.name, d.uid)}})) {
      return 2;
    }
    std::vector<Op> pods;
    for (int p = 0; p < options_.pods_per_replicaset; ++p) {
      const std::string pod = fmt::format("{}-rs-{}", d.name, p);
      pods.push_back({Key("pods", ns, pod), Object("Pod", "v1", ns, pod, Uid(), 1, "ReplicaSet",
                                                   d.name + "-rs", d.rs_uid)});
    }
    if (Commit(pods)) deployments_.push_back(d);
    return 2 + options_.pods_per_replicaset;
  }
  if (dice < 45 && !deployments_.empty()) {
    // A rollout: the Deployment and its ReplicaSet updated in one Txn.
    Deployment& d = deployments_[random_() % deployments_.size()];
    ++d.generation;
    const bool ok = Commit({{Key("deployments", d.ns, d.name),
                             Object("Deployment", "apps/v1", d.ns, d.name, d.uid, d.generation)},
                            {Key("replicasets", d.ns, d.name + "-rs"),
                             Object("ReplicaSet", "apps/v1", d.ns, d.name + "-rs", d.rs_uid,
                                    d.generation, "Deployment", d.name, d.uid)}});
    if (!ok) {
      deployments_.erase(deployments_.begin() + (&d - deployments_.data()));
    }
    return 2;
  }
  if ((dice < 55 || deployments_.size() >= options_.live_deployments) && !deployments_.empty()) {
    // A cascading delete: Pods, ReplicaSet and Deployment in one Txn.
    const size_t at = random_() % deployments_.size();
    const Deployment d = deployments_[at];
    deployments_.erase(deployments_.begin() + static_cast<std::ptrdiff_t>(at));
    Commit(ChainKeys(d, true));
    return 2 + options_.pods_per_replicaset;
  }
  if (dice < 85) {
    // Write-once objects: a ConfigMap and a Secret in one Txn, or a custom resource.
    const int64_t n = sequence_ + 1;
    if (random_() % 2 == 0) {
      Commit({{Key("configmaps", ns, fmt::format("cm-{}", n)),
               Object("ConfigMap", "v1", ns, fmt::format("cm-{}", n), Uid(), 1), false, true},
              {Key("secrets", ns, fmt::format("secret-{}", n)),
               Object("Secret", "v1", ns, fmt::format("secret-{}", n), Uid(), 1), false, true}});
      return 2;
    }
    Commit({{Key("example.com/widgets", ns, fmt::format("widget-{}", n)),
             Object("Widget", "example.com/v1", ns, fmt::format("widget-{}", n), Uid(), 1), false,
             true}});
    return 1;
  }
  // A ConfigMap from a small pool updated again and again.
  const std::string name = fmt::format("settings-{}", random_() % 10);
  const std::string pool_ns = fmt::format("churn-{}-00", options_.name);
  Commit({{Key("configmaps", pool_ns, name),
           Object("ConfigMap", "v1", pool_ns, name, Uid(), static_cast<int64_t>(++sequence_))}});
  return 1;
}

absl::StatusOr<std::vector<std::string>> ChurnWriter::Disagreements(etcd::Client& source) const {
  const ChurnRecord record = this->record();
  std::vector<std::string> wrong;
  auto get = [&](const std::string& key) -> absl::StatusOr<std::optional<std::string>> {
    etcd::pb::RangeRequest request;
    request.set_key(key);
    auto response = source.Range(request);
    if (!response.ok()) return response.status();
    if (response->kvs_size() == 0) return std::nullopt;
    return response->kvs(0).value();
  };
  for (const auto& [key, value] : record.expected) {
    auto got = get(key);
    if (!got.ok()) return got.status();
    if (*got != value) wrong.push_back(key + (got->has_value() ? " (different)" : " (lost)"));
  }
  for (const std::string& key : record.deleted) {
    auto got = get(key);
    if (!got.ok()) return got.status();
    if (got->has_value()) wrong.push_back(key + " (deleted, came back)");
  }
  return wrong;
}

}  // namespace workload
