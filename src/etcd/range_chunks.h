// Reads a large key range in bounded chunks. etcd 3.4 walks the whole rest of
// [key, range_end) on every limited Range, so paging n keys costs O(n^2 / page); a few
// large keys-only calls that find chunk boundaries, then reads bounded by those boundaries,
// cost O(n) plus a handful of walks.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "etcd/client.h"

namespace etcd {

// One chunk [begin, end): `keys` is how many keys it held on the planned side.
struct KeyChunk {
  std::string begin;
  std::string end;
  int64_t keys = 0;
};

struct ChunkPlan {
  int chunk_keys = 5000;        // most keys per chunk on the planned side
  int discovery_keys = 100000;  // most keys per keys-only discovery call (memory: keys only)
};

// Splits [begin, end) of one cluster, at `revision` (0: the current one, pinned by the first
// call; a compacted one moves to the newest), into consecutive chunks that tile the range exactly:
// the first begins at `begin`, each ends where the next begins, the last ends at `end`. Reads one
// discovery page ahead. The first discovery call asks for six chunks' keys and each next one for
// twice as many, up to discovery_keys: on etcd 3.4 a keys-only call still reads every value it
// covers, so a first call of discovery_keys kept the caller waiting for seconds before its first
// chunk (3.5 s of a 30 s copy of 1M keys). Fewer than six left the caller waiting after them:
// each call, however small, also walks the whole rest of the range (about 0.5 s at 1M keys),
// so with two chunks the second call came back after they were read (0.5 s without reads in a
// copy through a 20 ms link), and the four reads then started at once arrived together.
class ChunkPlanner {
 public:
  ChunkPlanner(Client& client, std::string begin, std::string end, int64_t revision,
               ChunkPlan plan = {});
  ~ChunkPlanner();
  ChunkPlanner(const ChunkPlanner&) = delete;
  ChunkPlanner& operator=(const ChunkPlanner&) = delete;

  // Plans from `boundaries` (strictly increasing keys inside (begin, end), as a
  // BoundaryRecorder wrote them on an earlier pass) instead of discovery calls: the chunks are
  // [begin, b0), [b0, b1), ..., [b_last, end), each as large as the range has become there.
  // Call before the first Next(). Returns false, and keeps discovery, when `boundaries` is
  // empty or not strictly increasing inside the range.
  bool UseBoundaries(std::vector<std::string> boundaries);

  // The next chunk in key order; nullopt after the last one. May wait for a discovery call.
  absl::StatusOr<std::optional<KeyChunk>> Next();
  // Whether Next() would return without waiting for a discovery call.
  bool NextIsReady() const;
  // The revision the plan was made at (known after the first Next()).
  int64_t revision() const { return revision_; }
  // How many keys [begin, end) held at revision(), from the first discovery call (the count
  // etcd returns with a limited Range); -1 before it, or when planning from boundaries.
  int64_t total_keys() const { return total_keys_; }

 private:
  absl::StatusOr<pb::RangeResponse> Discover(std::string from, int limit);
  absl::Status TakePage();
  int NextDiscoveryLimit();  // the limit of the next discovery call (they grow)

  Client& client_;
  std::string end_;
  int64_t revision_;
  ChunkPlan plan_;
  std::deque<KeyChunk> ready_;
  std::optional<std::future<absl::StatusOr<pb::RangeResponse>>> pending_;
  std::string pending_from_;  // where the pending discovery starts
  int pending_limit_ = 0;     // and its limit
  int discovery_limit_ = 0;
  int64_t total_keys_ = -1;
  KeyChunk building_;  // the chunk under construction
  bool done_ = false;
};

// Remembers every `chunk_keys`-th key a pass sees, in key order: the boundaries a ChunkPlanner
// would have found, for the next pass over the same range. Not thread-safe (one pass).
class BoundaryRecorder {
 public:
  explicit BoundaryRecorder(int chunk_keys) : chunk_keys_(chunk_keys < 1 ? 1 : chunk_keys) {}
  // Keys must come in increasing order.
  void See(const std::string& key) {
    if (seen_ > 0 && seen_ % chunk_keys_ == 0) boundaries_.push_back(key);
    ++seen_;
  }
  std::vector<std::string> Take() { return std::move(boundaries_); }

 private:
  int64_t chunk_keys_;
  int64_t seen_ = 0;
  std::vector<std::string> boundaries_;
};

// The boundaries of the last complete pass over one range, kept between passes (a /check
// every Data Check Interval). On etcd 3.4 a keys-only discovery call reads every value from
// the backend all the same, so planning costs the source as much as the pass reads; from
// remembered boundaries it costs nothing, and a range that changed since only makes some
// chunks larger or smaller (a larger one is paged inside its bounds). Thread-safe.
class ChunkBoundaries {
 public:
  // What was stored for [begin, end) at `chunk_keys`; empty when nothing was.
  std::vector<std::string> Get(const std::string& begin, const std::string& end,
                               int chunk_keys) const {
    std::lock_guard lock(mutex_);
    if (begin != begin_ || end != end_ || chunk_keys != chunk_keys_) return {};
    return boundaries_;
  }
  void Set(std::string begin, std::string end, int chunk_keys,
           std::vector<std::string> boundaries) {
    std::lock_guard lock(mutex_);
    begin_ = std::move(begin);
    end_ = std::move(end);
    chunk_keys_ = chunk_keys;
    boundaries_ = std::move(boundaries);
  }

 private:
  mutable std::mutex mutex_;
  std::string begin_;
  std::string end_;
  int chunk_keys_ = 0;
  std::vector<std::string> boundaries_;
};

// Sizes pages by bytes rather than keys: the limit of the next page is `target_bytes` over
// the mean size (key + value) of the keys the pages so far held, within [1, max_keys]; before
// any page, `first_keys`. A reader that keeps one such page in flight keeps at most about
// `target_bytes` of its reads queued on a link it shares with other streams (the periodic
// check beside live replication's watch). Once `*until` (may be null; must outlive the sizer)
// is true, the limit is max_keys. Thread-safe: pagers of several chunks may share one.
class PageSizer {
 public:
  PageSizer(int64_t target_bytes, int max_keys, int first_keys = 64,
            const std::atomic<bool>* until = nullptr);
  int NextLimit() const;
  void Saw(const pb::RangeResponse& page);

 private:
  const int64_t target_bytes_;
  const int max_keys_;
  const int first_keys_;
  const std::atomic<bool>* until_;
  std::atomic<int64_t> keys_{0};
  std::atomic<int64_t> bytes_{0};
};

// Where a chunk that grew since it was planned can be cut: every `split_keys`-th key that one
// cluster holds in [begin, end) at `revision`, found by keys-only calls of up to `discovery_keys`
// keys, from `begin` on and only as far as pagers ask. Meant for the cluster near the reader
// (the destination: no link to cross) and shared by both sides' pagers of the chunk, which bound
// their pages by the cuts: on etcd 3.4 every Range costs a walk of all the keys of its range,
// whatever its limit, holding the index that writes wait for, so pages bounded by the chunk
// alone cost each side n / page walks of up to n keys (a chunk grown by 300,000 keys: 30 to 60
// walks of 100-300 ms each, writes stalled behind each); bounded by the cuts, each page walks at
// most about split_keys keys, and finding the cuts costs one walk of the rest per
// discovery_keys keys. Nothing is discovered until a pager reports more than twice split_keys
// keys left. Thread-safe; a discovery runs under the lock (the other pager waits for its cuts).
class ChunkSplits {
 public:
  ChunkSplits(Client& client, std::string begin, std::string end, int64_t revision, int split_keys,
              int discovery_keys);
  ChunkSplits(const ChunkSplits&) = delete;
  ChunkSplits& operator=(const ChunkSplits&) = delete;

  // The end of the range of the next page of a pager at `from` (inside [begin, end)) that knows
  // `left` keys left up to `end` (-1: not known): `end` while nothing needs cutting, else the
  // first cut after `from` (discovering on as far as one), or `end` after the last cut. Errors
  // are the discovery calls'.
  absl::StatusOr<std::string> RangeEndFor(const std::string& from, int64_t left);
  // How many keys-only calls found the cuts.
  int64_t discoveries() const;

 private:
  absl::Status DiscoverMore();  // one call from reached_; with mutex_ held

  Client& client_;
  const std::string end_;
  int64_t revision_;
  const int split_keys_;
  const int discovery_keys_;
  mutable std::mutex mutex_;
  bool started_ = false;
  bool complete_ = false;          // discovery reached end_
  std::string reached_;            // [begin, reached_) is discovered; every cut is below it
  int64_t seen_ = 0;               // keys discovered so far
  std::vector<std::string> cuts_;  // increasing, inside (begin, reached_)
  int64_t discoveries_ = 0;
};

// Reads [begin, end) at `revision` in pages of at most `page_keys`, continuing inside the
// range when it holds more: with a bounded range each page costs O(keys in the range). With
// `sizer` (not owned, may be null; must outlive the pager) each page asks for
// sizer->NextLimit() keys, at most `page_keys`, and reports what it got. With `split_keys` > 0,
// while more than that many keys are left in the range (a range that grew since it was planned),
// one keys-only call finds where the next `split_keys` keys end and the pages stay inside that
// bound: on etcd 3.4 each page costs O(keys left up to its range end), so small pages over a
// large range would cost O(n^2 / page); bounded, a range of n keys costs n / split_keys walks.
// With `cuts` (not owned, may be null; must outlive the pager; made for the same [begin, end))
// pages end at its cuts once it has any, and the pager's own keys-only calls are made only
// where the cuts leave more than split_keys keys (the cut cluster lacks keys this one has).
class RangePager {
 public:
  RangePager(Client& client, std::string begin, std::string end, int64_t revision, int page_keys,
             PageSizer* sizer = nullptr, int split_keys = 0, ChunkSplits* cuts = nullptr)
      : client_(client),
        next_(std::move(begin)),
        end_(std::move(end)),
        revision_(revision),
        page_keys_(page_keys),
        sizer_(sizer),
        split_keys_(split_keys),
        cuts_(cuts) {}
  // The next page; an empty one (kvs_size() == 0) after the last.
  absl::StatusOr<pb::RangeResponse> NextPage();
  bool done() const { return done_; }
  // How many keys-only calls bounded the pages (split_keys).
  int64_t splits() const { return splits_; }

 private:
  Client& client_;
  std::string next_;
  std::string end_;
  int64_t revision_;
  int page_keys_;
  PageSizer* sizer_;
  int split_keys_;
  ChunkSplits* cuts_;
  std::string bound_;  // pages end here while set (a split); empty: at end_
  int64_t left_ = -1;  // keys known left in [next_, end_); -1 before the first answer
  int64_t splits_ = 0;
  bool done_ = false;
};

}  // namespace etcd
