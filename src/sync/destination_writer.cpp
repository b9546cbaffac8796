#include "sync/destination_writer.h"

#include <fmt/format.h>

#include "absl/strings/match.h"
#include "common/absl_fmt.h"

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

absl::Status ApplyTxn(etcd::Client& destination, const etcd::pb::TxnRequest& txn) {
  auto response = destination.Txn(txn);
  if (!response.ok()) return response.status();
  if (!response->succeeded()) {
    return FenceLostError(
        "the leader key changed on the destination; another etcd-sync replica leads now");
  }
  return absl::OkStatus();
}

ParallelApplier::ParallelApplier(etcd::Client& destination, int parallelism)
    : destination_(destination), capacity_(static_cast<size_t>(std::max(1, parallelism)) * 2) {
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
    absl::Status status = ApplyTxn(destination_, txn);
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
