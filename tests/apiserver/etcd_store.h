// TEST STAND-IN for kube-apiserver: its storage layer on a real etcd. Values are JSON
// objects without metadata.resourceVersion; the resourceVersion is the key's mod revision.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "etcd/client.h"

namespace apiserver {

struct StoredObject {
  nlohmann::json object;  // with metadata.resourceVersion set
  int64_t mod_revision = 0;
};

struct StoredList {
  std::vector<StoredObject> items;
  int64_t revision = 0;
};

class EtcdStore {
 public:
  explicit EtcdStore(etcd::Client& client) : client_(client) {}

  absl::StatusOr<std::optional<StoredObject>> Get(const std::string& key);
  absl::StatusOr<StoredList> List(const std::string& prefix);
  // At most `limit` objects under `prefix` from key `from` on (prefix when empty), read at
  // `revision` (0: now). `more` tells whether keys remain after the last one returned.
  absl::StatusOr<StoredList> ListPage(const std::string& prefix, const std::string& from,
                                      int64_t limit, int64_t revision, bool& more);
  etcd::Client& client() { return client_; }
  // nullopt: the key exists already. Otherwise the new object (resourceVersion set).
  absl::StatusOr<std::optional<StoredObject>> Create(const std::string& key, nlohmann::json object);
  // nullopt: the key's mod revision is no longer `mod_revision` (or it is gone).
  absl::StatusOr<std::optional<StoredObject>> Update(const std::string& key, nlohmann::json object,
                                                     int64_t mod_revision);
  // false: the key's mod revision is no longer `mod_revision`.
  absl::StatusOr<bool> Delete(const std::string& key, int64_t mod_revision);

 private:
  absl::StatusOr<std::optional<StoredObject>> PutIf(const std::string& key, nlohmann::json object,
                                                    const etcd::pb::Compare& compare);
  etcd::Client& client_;
};

}  // namespace apiserver
