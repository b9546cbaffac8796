#include "sync/txn_batcher.h"

#include <algorithm>
#include <functional>
#include <string_view>
#include <type_traits>
#include <unordered_map>

namespace etcdsync {
namespace {

// Room for the fence compare, the checkpoint put and protobuf framing.
constexpr size_t kTxnOverheadBytes = 1024;
constexpr size_t kPerOpOverheadBytes = 16;

// `field` of a mutation handed over to the Txn (M non-const) is moved, otherwise copied.
template <typename M, typename T>
decltype(auto) Pass(T& field) {
  if constexpr (std::is_const_v<M>) {
    return static_cast<const T&>(field);
  } else {
    return static_cast<T&&>(field);
  }
}

template <typename M>  // Mutation (its key and value taken) or const Mutation (copied)
void SetOp(etcd::pb::RequestOp& op, M& mutation) {
  if (mutation.kind == Mutation::Kind::kPut) {
    etcd::pb::PutRequest* put = op.mutable_request_put();
    put->set_key(Pass<M>(mutation.key));
    put->set_value(Pass<M>(mutation.value));
  } else {
    op.mutable_request_delete_range()->set_key(Pass<M>(mutation.key));
  }
}

const std::string& OpKey(const etcd::pb::RequestOp& op) {
  return op.has_request_put() ? op.request_put().key() : op.request_delete_range().key();
}

void AddCheckpoint(etcd::pb::TxnRequest& txn, const std::string& key,
                   const Checkpoint& checkpoint) {
  etcd::pb::PutRequest* put = txn.add_success()->mutable_request_put();
  put->set_key(key);
  put->set_value(EncodeCheckpoint(checkpoint));
}

size_t OpBytes(const Mutation& mutation) { return mutation.bytes() + kPerOpOverheadBytes; }

size_t ByteBudget(const TxnLimits& limits) {
  return limits.max_bytes > kTxnOverheadBytes ? limits.max_bytes - kTxnOverheadBytes : 1;
}

// Accumulates one Txn at a time.
class Builder {
 public:
  Builder(const Fence& fence, const TxnLimits& limits, const std::string& checkpoint_key,
          const std::optional<Checkpoint>& checkpoint)
      : fence_(fence), checkpoint_key_(checkpoint_key), checkpoint_(checkpoint) {
    ops_limit_ = std::max(1, limits.max_ops - (checkpoint.has_value() ? 1 : 0));
    byte_budget_ = ByteBudget(limits);
  }

  bool empty() const { return txn_.success_size() == 0; }
  bool Fits(size_t ops, size_t bytes) const {
    return txn_.success_size() + static_cast<int>(ops) <= ops_limit_ &&
           bytes_ + bytes <= byte_budget_;
  }

  template <typename M>  // Mutation (moved into the Txn) or const Mutation (copied)
  void Add(M& mutation) {
    // Ops by the hash of their key, checked against the key the op holds: no copy of keys.
    const size_t hash = std::hash<std::string_view>()(mutation.key);
    auto [first, last] = positions_.equal_range(hash);
    for (auto it = first; it != last; ++it) {
      if (OpKey(txn_.success(it->second)) == mutation.key) {
        // The same key again (coalesced revisions): the later op wins. etcd refuses a Txn
        // that names a key twice.
        SetOp(*txn_.mutable_success(it->second), mutation);
        return;
      }
    }
    bytes_ += OpBytes(mutation);
    SetOp(*txn_.add_success(), mutation);
    positions_.emplace(hash, txn_.success_size() - 1);
  }

  // Closes the Txn; its checkpoint says every revision up to `completed` is applied.
  void Close(int64_t completed, std::vector<etcd::pb::TxnRequest>& out) {
    if (empty()) return;
    AddFenceCompare(txn_, fence_);
    if (checkpoint_) {
      Checkpoint at = *checkpoint_;
      at.revision = completed;
      AddCheckpoint(txn_, checkpoint_key_, at);
      checkpoint_owed_ = false;
    }
    out.push_back(std::move(txn_));
    txn_ = etcd::pb::TxnRequest();
    bytes_ = 0;
    positions_.clear();
  }

  // An operation larger than the byte budget: alone, with the fence, without the
  // checkpoint (which the next Txn, or Finish, writes).
  bool Oversized(const Mutation& mutation) const { return OpBytes(mutation) > byte_budget_; }
  template <typename M>
  void AddSolo(M& mutation, int64_t completed, std::vector<etcd::pb::TxnRequest>& out) {
    Close(completed, out);
    etcd::pb::TxnRequest solo;
    AddFenceCompare(solo, fence_);
    SetOp(*solo.add_success(), mutation);
    out.push_back(std::move(solo));
    checkpoint_owed_ = checkpoint_.has_value();
  }

  void Finish(int64_t completed, std::vector<etcd::pb::TxnRequest>& out) {
    Close(completed, out);
    if (checkpoint_owed_) {
      Checkpoint at = *checkpoint_;
      at.revision = completed;
      out.push_back(BuildCheckpointTxn(fence_, checkpoint_key_, at));
      checkpoint_owed_ = false;
    }
  }

 private:
  const Fence& fence_;
  const std::string& checkpoint_key_;
  const std::optional<Checkpoint>& checkpoint_;
  int ops_limit_;
  size_t byte_budget_;
  etcd::pb::TxnRequest txn_;
  size_t bytes_ = 0;
  std::unordered_multimap<size_t, int> positions_;  // key hash -> op index
  bool checkpoint_owed_ = false;                    // a solo Txn was the last one written
};

}  // namespace

void AddFenceCompare(etcd::pb::TxnRequest& txn, const Fence& fence) {
  if (fence.leader_key.empty()) return;
  etcd::pb::Compare* compare = txn.add_compare();
  compare->set_result(etcd::pb::Compare::EQUAL);
  compare->set_target(etcd::pb::Compare::CREATE);
  compare->set_key(fence.leader_key);
  compare->set_create_revision(fence.create_revision);
}

namespace {

template <typename M>
TxnBatch Build(std::span<M> mutations, const Fence& fence, const TxnLimits& limits,
               const std::string& checkpoint_key, const std::optional<Checkpoint>& checkpoint,
               int64_t base_revision) {
  TxnBatch batch;
  Builder builder(fence, limits, checkpoint_key, checkpoint);
  int64_t completed = base_revision;  // last revision wholly inside closed or open Txns
  size_t begin = 0;
  while (begin < mutations.size()) {
    // One source revision (revision 0, the copy, has no atomic groups: one op each).
    const int64_t revision = mutations[begin].revision;
    size_t end = begin + 1;
    size_t group_bytes = OpBytes(mutations[begin]);
    while (revision != 0 && end < mutations.size() && mutations[end].revision == revision) {
      group_bytes += OpBytes(mutations[end]);
      ++end;
    }
    const size_t group_ops = end - begin;
    if (!builder.Fits(group_ops, group_bytes)) builder.Close(completed, batch.txns);
    if (builder.Fits(group_ops, group_bytes)) {
      for (size_t i = begin; i < end; ++i) builder.Add(mutations[i]);
    } else {
      // Larger than one Txn may be: the only case where a revision is not atomic.
      if (revision != 0 && group_ops > 1) batch.split_revisions.push_back(revision);
      for (size_t i = begin; i < end; ++i) {
        if (builder.Oversized(mutations[i])) {
          builder.AddSolo(mutations[i], completed, batch.txns);
          continue;
        }
        if (!builder.empty() && !builder.Fits(1, OpBytes(mutations[i]))) {
          builder.Close(completed, batch.txns);
        }
        builder.Add(mutations[i]);
      }
    }
    if (revision != 0) completed = revision;
    begin = end;
  }
  builder.Finish(completed, batch.txns);
  return batch;
}

}  // namespace

TxnBatch BuildTxns(std::span<const Mutation> mutations, const Fence& fence, const TxnLimits& limits,
                   const std::string& checkpoint_key, const std::optional<Checkpoint>& checkpoint,
                   int64_t base_revision) {
  return Build(mutations, fence, limits, checkpoint_key, checkpoint, base_revision);
}

TxnBatch BuildTxns(std::vector<Mutation>&& mutations, const Fence& fence, const TxnLimits& limits,
                   const std::string& checkpoint_key, const std::optional<Checkpoint>& checkpoint,
                   int64_t base_revision) {
  TxnBatch batch = Build(std::span<Mutation>(mutations), fence, limits, checkpoint_key, checkpoint,
                         base_revision);
  mutations.clear();
  return batch;
}

bool FitsBesideCheckpoint(const Mutation& mutation, const TxnLimits& limits) {
  return OpBytes(mutation) <= ByteBudget(limits);
}

etcd::pb::TxnRequest BuildCheckpointTxn(const Fence& fence, const std::string& checkpoint_key,
                                        const Checkpoint& checkpoint) {
  etcd::pb::TxnRequest txn;
  AddFenceCompare(txn, fence);
  AddCheckpoint(txn, checkpoint_key, checkpoint);
  return txn;
}

}  // namespace etcdsync
