// Collects a consistency check's missed, surplus and stale keys in three temporary files,
// so that /check can list millions of differences in sections without holding them in
// memory, then renders them as the documented text or as JSON.
#pragma once

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sync/consistency_check.h"

namespace monitor {

class SpooledCheckSink : public etcdsync::CheckSink {
 public:
  SpooledCheckSink();
  ~SpooledCheckSink() override;

  void Missed(const std::string& key) override { Append(missed_, key); }
  void Surplus(const std::string& key) override { Append(surplus_, key); }
  void Stale(const std::string& key) override { Append(stale_, key); }
  void Reset() override;
  // Keys the reconcile pass no longer repairs (at most a bounded listing of `count`):
  // a "LOCAL ETCD contested keys:" section when there are any; "contested" in JSON.
  void SetContested(std::vector<std::string> keys, size_t count) {
    contested_ = std::move(keys);
    contested_count_ = count;
  }

  using Write = std::function<bool(std::string_view)>;
  // "LOCAL ETCD missed keys:" / "LOCAL ETCD surplus keys:" / "LOCAL ETCD stale keys:",
  // one key per line under each. Once the check is over, several requests may render the
  // same spool at once.
  bool RenderText(const Write& write) const;
  bool RenderJson(const etcdsync::CheckReport& report, const Write& write) const;

 private:
  static void Append(std::FILE* file, const std::string& key);
  // Calls `line` for each key spooled in `file`, reading at offsets of its own.
  static bool ForEachKey(std::FILE* file, const std::function<bool(const std::string&)>& line);

  std::FILE* missed_;
  std::FILE* surplus_;
  std::FILE* stale_;
  std::vector<std::string> contested_;
  size_t contested_count_ = 0;
};

}  // namespace monitor
