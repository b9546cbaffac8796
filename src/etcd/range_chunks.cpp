#include "etcd/range_chunks.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "common/status_macros.h"
#include "etcd/grpc_error.h"
#include "etcd/key_range.h"

namespace etcd {
namespace {

// The first discovery call asks for this many chunks' keys (see ChunkPlanner).
constexpr int64_t kFirstDiscoveryChunks = 6;

// Keys only of [from, end) at `revision`, at most `limit`: how chunks, cuts and splits are found.
pb::RangeRequest KeysOnly(std::string from, const std::string& end, int limit, int64_t revision) {
  pb::RangeRequest request;
  request.set_key(std::move(from));
  request.set_range_end(end);
  request.set_limit(limit);
  request.set_revision(revision);
  request.set_keys_only(true);
  return request;
}

}  // namespace

ChunkPlanner::ChunkPlanner(Client& client, std::string begin, std::string end, int64_t revision,
                           ChunkPlan plan)
    : client_(client), end_(std::move(end)), revision_(revision), plan_(plan) {
  if (plan_.chunk_keys < 1) plan_.chunk_keys = 1;
  if (plan_.discovery_keys < plan_.chunk_keys) plan_.discovery_keys = plan_.chunk_keys;
  discovery_limit_ = static_cast<int>(
      std::min<int64_t>(plan_.discovery_keys, kFirstDiscoveryChunks * plan_.chunk_keys));
  building_.begin = std::move(begin);
}

int ChunkPlanner::NextDiscoveryLimit() {
  const int limit = discovery_limit_;
  discovery_limit_ = limit > plan_.discovery_keys / 2 ? plan_.discovery_keys : 2 * limit;
  return limit;
}

ChunkPlanner::~ChunkPlanner() {
  if (pending_ && pending_->valid()) pending_->wait();
}

absl::StatusOr<pb::RangeResponse> ChunkPlanner::Discover(std::string from, int limit) {
  return client_.Range(KeysOnly(std::move(from), end_, limit, revision_));
}

absl::Status ChunkPlanner::TakePage() {
  const std::string from = pending_ ? pending_from_ : building_.begin;
  const int limit = pending_ ? pending_limit_ : NextDiscoveryLimit();
  absl::StatusOr<pb::RangeResponse> response = pending_ ? pending_->get() : Discover(from, limit);
  pending_.reset();
  if (!response.ok() && revision_ != 0 && IsCompacted(response.status())) {
    // Boundaries need not come from one revision to tile the range: carry on at the newest
    // (the reader of the chunks decides what a compaction means for it).
    revision_ = 0;
    response = Discover(from, limit);
  }
  if (!response.ok()) return response.status();
  if (revision_ == 0) revision_ = response->header().revision();
  if (total_keys_ < 0) total_keys_ = response->count();
  const bool more = response->more() && response->kvs_size() > 0;
  if (more) {
    // Read the next discovery page while the caller reads these chunks.
    pending_from_ = KeySuccessor(response->kvs(response->kvs_size() - 1).key());
    pending_limit_ = NextDiscoveryLimit();
    pending_ = std::async(std::launch::async, [this, from = pending_from_, limit = pending_limit_] {
      return Discover(from, limit);
    });
  }
  for (auto& kv : *response->mutable_kvs()) {
    if (building_.keys == plan_.chunk_keys) {
      KeyChunk full = std::move(building_);
      full.end = kv.key();
      building_ = KeyChunk{};
      building_.begin = std::move(*kv.mutable_key());
      ready_.push_back(std::move(full));
    }
    ++building_.keys;
  }
  if (!more) {
    building_.end = end_;
    ready_.push_back(std::move(building_));
    done_ = true;
  }
  return absl::OkStatus();
}

bool ChunkPlanner::UseBoundaries(std::vector<std::string> boundaries) {
  if (boundaries.empty() || done_ || pending_ || !ready_.empty()) return false;
  const std::string& begin = building_.begin;
  const bool unbounded = end_ == std::string(1, '\0');  // etcd: every key from `begin`
  for (size_t i = 0; i < boundaries.size(); ++i) {
    const std::string& previous = i == 0 ? begin : boundaries[i - 1];
    if (boundaries[i] <= previous) return false;
    if (!unbounded && boundaries[i] >= end_) return false;
  }
  std::string from = std::move(building_.begin);
  for (auto& boundary : boundaries) {
    KeyChunk chunk;
    chunk.begin = std::move(from);
    chunk.end = boundary;
    from = std::move(boundary);
    ready_.push_back(std::move(chunk));
  }
  KeyChunk last;
  last.begin = std::move(from);
  last.end = end_;
  ready_.push_back(std::move(last));
  building_ = KeyChunk{};
  done_ = true;
  return true;
}

bool ChunkPlanner::NextIsReady() const {
  if (!ready_.empty() || done_) return true;
  return pending_ && pending_->wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

absl::StatusOr<std::optional<KeyChunk>> ChunkPlanner::Next() {
  while (ready_.empty() && !done_) RETURN_IF_ERROR(TakePage());
  if (ready_.empty()) return std::optional<KeyChunk>();
  KeyChunk chunk = std::move(ready_.front());
  ready_.pop_front();
  return std::optional<KeyChunk>(std::move(chunk));
}

PageSizer::PageSizer(int64_t target_bytes, int max_keys, int first_keys,
                     const std::atomic<bool>* until)
    : target_bytes_(std::max<int64_t>(1, target_bytes)),
      max_keys_(std::max(1, max_keys)),
      first_keys_(std::clamp(first_keys, 1, std::max(1, max_keys))),
      until_(until) {}

int PageSizer::NextLimit() const {
  if (until_ != nullptr && until_->load()) return max_keys_;
  const int64_t keys = keys_.load(std::memory_order_relaxed);
  const int64_t bytes = bytes_.load(std::memory_order_relaxed);
  if (keys == 0 || bytes == 0) return first_keys_;
  const int64_t mean = std::max<int64_t>(1, bytes / keys);
  return static_cast<int>(std::clamp<int64_t>(target_bytes_ / mean, 1, max_keys_));
}

void PageSizer::Saw(const pb::RangeResponse& page) {
  int64_t bytes = 0;
  for (const auto& kv : page.kvs()) {
    bytes += static_cast<int64_t>(kv.key().size() + kv.value().size());
  }
  keys_.fetch_add(page.kvs_size(), std::memory_order_relaxed);
  bytes_.fetch_add(bytes, std::memory_order_relaxed);
}

ChunkSplits::ChunkSplits(Client& client, std::string begin, std::string end, int64_t revision,
                         int split_keys, int discovery_keys)
    : client_(client),
      end_(std::move(end)),
      revision_(revision),
      split_keys_(std::max(1, split_keys)),
      discovery_keys_(std::max(std::max(1, split_keys), discovery_keys)),
      reached_(std::move(begin)) {}

int64_t ChunkSplits::discoveries() const {
  std::lock_guard lock(mutex_);
  return discoveries_;
}

absl::Status ChunkSplits::DiscoverMore() {
  ASSIGN_OR_RETURN(pb::RangeResponse keys,
                   client_.Range(KeysOnly(reached_, end_, discovery_keys_, revision_)));
  started_ = true;
  ++discoveries_;
  for (const auto& kv : keys.kvs()) {
    if (seen_ > 0 && seen_ % split_keys_ == 0) cuts_.push_back(kv.key());
    ++seen_;
  }
  if (keys.more() && keys.kvs_size() > 0) {
    reached_ = KeySuccessor(keys.kvs(keys.kvs_size() - 1).key());
  } else {
    complete_ = true;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ChunkSplits::RangeEndFor(const std::string& from, int64_t left) {
  std::lock_guard lock(mutex_);
  if (!started_ && left <= 2 * static_cast<int64_t>(split_keys_)) return end_;
  // Until a cut lies after `from` (every cut is below reached_): ending a page where discovery
  // reached instead would leave an empty range up to the next call's first cut.
  while (true) {
    auto cut = std::upper_bound(cuts_.begin(), cuts_.end(), from);
    if (cut != cuts_.end()) return *cut;
    if (complete_) return end_;
    RETURN_IF_ERROR(DiscoverMore());
  }
}

absl::StatusOr<pb::RangeResponse> RangePager::NextPage() {
  if (done_) return pb::RangeResponse();
  if (cuts_ != nullptr && bound_.empty()) {
    ASSIGN_OR_RETURN(std::string cut, cuts_->RangeEndFor(next_, left_));
    if (cut != end_) bound_ = std::move(cut);
  }
  if (split_keys_ > 0 && bound_.empty() && left_ > split_keys_) {
    ASSIGN_OR_RETURN(pb::RangeResponse keys,
                     client_.Range(KeysOnly(next_, end_, split_keys_, revision_)));
    ++splits_;
    left_ = keys.count();
    if (keys.more() && keys.kvs_size() > 0) {
      bound_ = KeySuccessor(keys.kvs(keys.kvs_size() - 1).key());
    }
  }
  pb::RangeRequest request;
  request.set_key(next_);
  request.set_range_end(bound_.empty() ? end_ : bound_);
  request.set_limit(sizer_ != nullptr ? std::min(page_keys_, sizer_->NextLimit()) : page_keys_);
  request.set_revision(revision_);
  ASSIGN_OR_RETURN(pb::RangeResponse response, client_.Range(request));
  if (sizer_ != nullptr) sizer_->Saw(response);
  // count: the keys of the requested range, from next_ on.
  left_ = bound_.empty() ? response.count() - response.kvs_size()
                         : std::max<int64_t>(0, left_ - response.kvs_size());
  if (response.more() && response.kvs_size() > 0) {
    next_ = KeySuccessor(response.kvs(response.kvs_size() - 1).key());
  } else if (!bound_.empty()) {
    next_ = std::move(bound_);  // this split is read; the rest of the range next
    bound_.clear();
  } else {
    done_ = true;
  }
  return response;
}

}  // namespace etcd
