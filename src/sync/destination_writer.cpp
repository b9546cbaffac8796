#include "sync/destination_writer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "absl/strings/match.h"
#include "common/absl_fmt.h"
#include "etcd/grpc_error.h"

namespace etcdsync {

namespace {
constexpr char kFenceLost[] = "leader fence lost";
}

absl::Status FenceLostError(std::string_view detail) {
  return absl::AbortedError(fmt::format("{}{}{}", kFenceLost, ": ", detail));
}

bool IsFenceLost(const absl::Status& status) {
  return status.code() == absl::StatusCode::kAborted &&
         absl::StartsWith(status.message(), kFenceLost);
}

namespace {

bool IsCheckpointPut(const etcd::pb::RequestOp& op, std::string_view checkpoint_key);

// The checkpoint value `txn` writes, if any.
const std::string* CheckpointValue(const etcd::pb::TxnRequest& txn, std::string_view key) {
  for (const auto& op : txn.success()) {
    if (IsCheckpointPut(op, key)) return &op.request_put().value();
  }
  return nullptr;
}

// The leader fence among `txn`'s compares (the leader key's create revision), if any.
const etcd::pb::Compare* FenceCompare(const etcd::pb::TxnRequest& txn, std::string_view chain_key) {
  for (const auto& compare : txn.compare()) {
    if (compare.target() == etcd::pb::Compare::CREATE && compare.key() != chain_key) {
      return &compare;
    }
  }
  return nullptr;
}

absl::Status ApplyChained(etcd::Client& destination, const etcd::pb::TxnRequest& txn,
                          CheckpointChain& chain) {
  etcd::pb::TxnRequest chained = txn;
  etcd::pb::Compare* unmoved = chained.add_compare();
  unmoved->set_key(chain.key());
  unmoved->set_target(etcd::pb::Compare::MOD);
  unmoved->set_result(etcd::pb::Compare::EQUAL);
  unmoved->set_mod_revision(chain.mod_revision());
  // On a failed compare, what it saw: the checkpoint and the leader key, in the same revision.
  chained.clear_failure();
  chained.add_failure()->mutable_request_range()->set_key(chain.key());
  const etcd::pb::Compare* fence = FenceCompare(txn, chain.key());
  if (fence != nullptr) chained.add_failure()->mutable_request_range()->set_key(fence->key());
  const std::string* value = CheckpointValue(txn, chain.key());

  auto response = destination.Txn(chained);
  if (!response.ok()) return response.status();
  if (response->succeeded()) {
    if (value != nullptr) chain.Advance(response->header().revision());
    return absl::OkStatus();
  }
  const auto range = [&](int i) -> const etcd::pb::RangeResponse* {
    if (i >= response->responses_size() || !response->responses(i).has_response_range()) {
      return nullptr;
    }
    return &response->responses(i).response_range();
  };
  const etcd::pb::RangeResponse* checkpoint = range(0);
  const etcd::pb::RangeResponse* leader = fence != nullptr ? range(1) : nullptr;
  const bool fence_held =
      fence == nullptr || (leader != nullptr && leader->kvs_size() == 1 &&
                           leader->kvs(0).create_revision() == fence->create_revision());
  if (!fence_held || checkpoint == nullptr) {
    return FenceLostError(
        "the leader key changed on the destination; another etcd-sync replica leads now");
  }
  const int64_t seen = checkpoint->kvs_size() == 1 ? checkpoint->kvs(0).mod_revision() : 0;
  if (seen == chain.mod_revision()) {
    return FenceLostError("a compare of the Txn failed while the leader key is still ours");
  }
  // The fence is ours, so only this term wrote the checkpoint since we last did: the first
  // attempt of this very Txn, if the checkpoint holds its value.
  if (value != nullptr && checkpoint->kvs_size() == 1 && checkpoint->kvs(0).value() == *value) {
    chain.Advance(seen);
    chain.CountReplay();
    spdlog::info(
        "a Txn the etcd client re-sent after a lost answer had already been applied (checkpoint "
        "at destination revision {}): not applied twice",
        seen);
    return absl::OkStatus();
  }
  // Not ours: restart the term from what the destination holds rather than guess.
  return FenceLostError(fmt::format(
      "the checkpoint changed on the destination under this leader (mod revision {}, expected "
      "{}); starting over from what it holds",
      seen, chain.mod_revision()));
}

absl::Status ApplyOnce(etcd::Client& destination, const etcd::pb::TxnRequest& txn,
                       CheckpointChain* chain) {
  // Only a Txn that moves the checkpoint can tell its replay apart; a data-only one (a part
  // of a split Txn, a value near the size limit) goes as it is, without the chain's bytes.
  if (chain != nullptr && chain->loaded() && CheckpointValue(txn, chain->key()) != nullptr) {
    return ApplyChained(destination, txn, *chain);
  }
  auto response = destination.Txn(txn);
  if (!response.ok()) return response.status();
  if (!response->succeeded()) {
    return FenceLostError(
        "the leader key changed on the destination; another etcd-sync replica leads now");
  }
  return absl::OkStatus();
}

bool IsCheckpointPut(const etcd::pb::RequestOp& op, std::string_view checkpoint_key) {
  return !checkpoint_key.empty() && op.has_request_put() &&
         op.request_put().key() == checkpoint_key;
}

// Keys are untrusted source data: a log line shows at most this much of one.
std::string ShortKey(const std::string& key) {
  constexpr size_t kShown = 200;
  if (key.size() <= kShown) return key;
  return fmt::format("{}... ({} bytes)", key.substr(0, kShown), key.size());
}

void ReportUnwritable(const etcd::pb::TxnRequest& txn, const OversizeHandling& oversize) {
  for (const auto& op : txn.success()) {
    if (!op.has_request_put() || IsCheckpointPut(op, oversize.checkpoint_key)) continue;
    spdlog::error(
        "key {} ({} byte value) cannot be written to the destination: etcd refuses even a "
        "Txn holding this put alone ({} bytes) as too large. Raise the destination etcd's "
        "--max-request-bytes to at least the source's (and etcd-sync's --max-request-bytes "
        "with it); every other key goes on replicating, and /check lists this one",
        ShortKey(op.request_put().key()), op.request_put().value().size(), txn.ByteSizeLong());
    if (oversize.stats != nullptr) ++oversize.stats->unwritable_values;
  }
}

}  // namespace

std::vector<etcd::pb::TxnRequest> SplitTxn(const etcd::pb::TxnRequest& txn,
                                           std::string_view checkpoint_key) {
  std::vector<const etcd::pb::RequestOp*> data;
  const etcd::pb::RequestOp* checkpoint = nullptr;
  for (const auto& op : txn.success()) {
    if (IsCheckpointPut(op, checkpoint_key)) {
      checkpoint = &op;
    } else {
      data.push_back(&op);
    }
  }
  if (data.empty() || (data.size() == 1 && checkpoint == nullptr)) return {};
  auto part = [&](size_t begin, size_t end, bool with_checkpoint) {
    etcd::pb::TxnRequest out;
    *out.mutable_compare() = txn.compare();
    for (size_t i = begin; i < end; ++i) *out.add_success() = *data[i];
    if (with_checkpoint && checkpoint != nullptr) *out.add_success() = *checkpoint;
    return out;
  };
  std::vector<etcd::pb::TxnRequest> parts;
  if (data.size() == 1) {
    // The value alone, then the checkpoint alone: a crash in between replays the put.
    parts.push_back(part(0, 1, false));
    parts.push_back(part(1, 1, true));
  } else {
    const size_t half = data.size() / 2;
    parts.push_back(part(0, half, false));
    parts.push_back(part(half, data.size(), true));
  }
  return parts;
}

absl::Status CheckpointChain::Load(etcd::Client& destination) {
  etcd::pb::RangeRequest request;
  request.set_key(key_);
  request.set_keys_only(true);
  auto response = destination.Range(request);
  if (!response.ok()) return response.status();
  mod_revision_ = response->kvs_size() == 0 ? 0 : response->kvs(0).mod_revision();
  return absl::OkStatus();
}

absl::Status ApplyTxn(etcd::Client& destination, const etcd::pb::TxnRequest& txn,
                      const OversizeHandling& oversize) {
  absl::Status status = ApplyOnce(destination, txn, oversize.chain);
  if (!etcd::IsRequestTooLarge(status)) return status;
  spdlog::warn(
      "the destination refused a Txn of {} bytes ({} operations) as too large: splitting it. "
      "If this repeats, set --max-request-bytes to the destination etcd's own value",
      txn.ByteSizeLong(), txn.success_size());
  // Parts still to apply, in order; each split replaces one part by two smaller ones, so
  // this ends after at most 2 x (operations) attempts.
  std::deque<etcd::pb::TxnRequest> pending;
  for (auto& part : SplitTxn(txn, oversize.checkpoint_key)) pending.push_back(std::move(part));
  if (pending.empty()) {
    ReportUnwritable(txn, oversize);
    return absl::OkStatus();
  }
  while (!pending.empty()) {
    etcd::pb::TxnRequest part = std::move(pending.front());
    pending.pop_front();
    status = ApplyOnce(destination, part, oversize.chain);
    if (status.ok()) continue;
    if (!etcd::IsRequestTooLarge(status)) return status;
    std::vector<etcd::pb::TxnRequest> smaller = SplitTxn(part, oversize.checkpoint_key);
    if (smaller.empty()) {
      ReportUnwritable(part, oversize);
      continue;
    }
    for (auto it = smaller.rbegin(); it != smaller.rend(); ++it) {
      pending.push_front(std::move(*it));
    }
  }
  return absl::OkStatus();
}

ParallelApplier::ParallelApplier(etcd::Client& destination, int parallelism,
                                 OversizeHandling oversize)
    : destination_(destination),
      oversize_(std::move(oversize)),
      capacity_(static_cast<size_t>(std::max(1, parallelism)) * 2) {
  for (int i = 0; i < std::max(1, parallelism); ++i) {
    workers_.emplace_back([this](std::stop_token stop) { Work(stop); });
  }
}

ParallelApplier::~ParallelApplier() {
  for (auto& worker : workers_) worker.request_stop();
  changed_.notify_all();
}

absl::Status ParallelApplier::Submit(etcd::pb::TxnRequest txn) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return queue_.size() < capacity_ || !first_error_.ok(); });
  if (!first_error_.ok()) return first_error_;
  queue_.push_back(std::move(txn));
  changed_.notify_all();
  return absl::OkStatus();
}

absl::Status ParallelApplier::Finish() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return (queue_.empty() && busy_ == 0) || !first_error_.ok(); });
  // Let in-flight Txns end before reporting, so the caller sees a quiet destination.
  changed_.wait(lock, [&] { return busy_ == 0; });
  return first_error_;
}

void ParallelApplier::Work(std::stop_token stop) {
  while (true) {
    etcd::pb::TxnRequest txn;
    {
      std::unique_lock lock(mutex_);
      if (!changed_.wait(lock, stop, [&] { return !queue_.empty() && first_error_.ok(); })) {
        return;
      }
      txn = std::move(queue_.front());
      queue_.pop_front();
      ++busy_;
    }
    absl::Status status = ApplyTxn(destination_, txn, oversize_);
    std::lock_guard lock(mutex_);
    --busy_;
    if (!status.ok() && first_error_.ok()) {
      first_error_ = status;
      queue_.clear();
    }
    changed_.notify_all();
  }
}

}  // namespace etcdsync
