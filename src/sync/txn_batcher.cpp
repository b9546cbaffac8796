#include "sync/txn_batcher.h"

#include <algorithm>
#include <unordered_map>

namespace etcdsync {
namespace {

// Room for the fence compare, the checkpoint put and protobuf framing.
constexpr size_t kTxnOverheadBytes = 1024;
constexpr size_t kPerOpOverheadBytes = 16;

void AddFence(etcd::pb::TxnRequest& txn, const Fence& fence) {
  if (fence.leader_key.empty()) return;
  etcd::pb::Compare* compare = txn.add_compare();
  compare->set_result(etcd::pb::Compare::EQUAL);
  compare->set_target(etcd::pb::Compare::CREATE);
  compare->set_key(fence.leader_key);
  compare->set_create_revision(fence.create_revision);
}

void SetOp(etcd::pb::RequestOp& op, const Mutation& mutation) {
  if (mutation.kind == Mutation::Kind::kPut) {
    etcd::pb::PutRequest* put = op.mutable_request_put();
    put->set_key(mutation.key);
    put->set_value(mutation.value);
  } else {
    op.mutable_request_delete_range()->set_key(mutation.key);
  }
}

void AddCheckpoint(etcd::pb::TxnRequest& txn, const std::string& key,
                   const Checkpoint& checkpoint) {
  etcd::pb::PutRequest* put = txn.add_success()->mutable_request_put();
  put->set_key(key);
  put->set_value(EncodeCheckpoint(checkpoint));
}

}  // namespace

TxnBatch BuildTxns(std::span<const Mutation> mutations, const Fence& fence,
                   const TxnLimits& limits, const std::string& checkpoint_key,
                   const std::optional<Checkpoint>& checkpoint, int64_t base_revision) {
  TxnBatch batch;
  const bool with_checkpoint = checkpoint.has_value();
  const int data_ops_limit = std::max(1, limits.max_ops - (with_checkpoint ? 1 : 0));
  const size_t byte_budget =
      limits.max_bytes > kTxnOverheadBytes ? limits.max_bytes - kTxnOverheadBytes : 1;

  etcd::pb::TxnRequest txn;
  size_t txn_bytes = 0;
  std::unordered_map<std::string_view, int> op_index;  // key -> position in txn.success
  std::vector<size_t> op_bytes;
  int64_t last_complete = base_revision;

  auto close_txn = [&](int64_t completed_revision) {
    if (txn.success_size() == 0) return;
    AddFence(txn, fence);
    if (with_checkpoint) {
      Checkpoint at = *checkpoint;
      at.revision = completed_revision;
      AddCheckpoint(txn, checkpoint_key, at);
    }
    batch.txns.push_back(std::move(txn));
    txn = etcd::pb::TxnRequest();
    txn_bytes = 0;
    op_index.clear();
    op_bytes.clear();
  };

  for (size_t i = 0; i < mutations.size(); ++i) {
    const Mutation& mutation = mutations[i];
    const size_t bytes = mutation.bytes() + kPerOpOverheadBytes;
    if (i > 0 && mutation.revision != mutations[i - 1].revision) {
      last_complete = mutations[i - 1].revision;
    }
    auto existing = op_index.find(mutation.key);
    if (existing != op_index.end()) {
      // The same key again within one Txn (later revisions coalesced): the later op wins.
      // etcd refuses a Txn that names a key twice.
      const int position = existing->second;
      txn_bytes = txn_bytes - op_bytes[position] + bytes;
      op_bytes[position] = bytes;
      SetOp(*txn.mutable_success(position), mutation);
      op_index.erase(existing);
      op_index.emplace(txn.success(position).has_request_put()
                           ? std::string_view(txn.success(position).request_put().key())
                           : std::string_view(txn.success(position).request_delete_range().key()),
                       position);
      continue;
    }
    const bool full = txn.success_size() >= data_ops_limit ||
                      (txn.success_size() > 0 && txn_bytes + bytes > byte_budget);
    if (full) {
      const int64_t previous_revision = mutations[i - 1].revision;
      if (mutation.revision != 0 && mutation.revision == previous_revision) {
        if (batch.split_revisions.empty() || batch.split_revisions.back() != mutation.revision) {
          batch.split_revisions.push_back(mutation.revision);
        }
        close_txn(last_complete);
      } else {
        close_txn(previous_revision);
      }
    }
    etcd::pb::RequestOp* op = txn.add_success();
    SetOp(*op, mutation);
    const int position = txn.success_size() - 1;
    op_index.emplace(op->has_request_put() ? std::string_view(op->request_put().key())
                                           : std::string_view(op->request_delete_range().key()),
                     position);
    op_bytes.push_back(bytes);
    txn_bytes += bytes;
  }
  close_txn(mutations.empty() ? base_revision : mutations.back().revision);
  return batch;
}

etcd::pb::TxnRequest BuildCheckpointTxn(const Fence& fence, const std::string& checkpoint_key,
                                        const Checkpoint& checkpoint) {
  etcd::pb::TxnRequest txn;
  AddFence(txn, fence);
  AddCheckpoint(txn, checkpoint_key, checkpoint);
  return txn;
}

}  // namespace etcdsync
