#include "apiserver/etcd_store.h"

#include "common/status_macros.h"
#include "etcd/key_range.h"

namespace apiserver {
namespace {

StoredObject Decode(const mvccpb::KeyValue& kv) {
  StoredObject stored;
  stored.object = nlohmann::json::parse(kv.value(), nullptr, false);
  if (!stored.object.is_object()) stored.object = nlohmann::json::object();
  stored.mod_revision = kv.mod_revision();
  stored.object["metadata"]["resourceVersion"] = std::to_string(kv.mod_revision());
  return stored;
}

}  // namespace

absl::StatusOr<std::optional<StoredObject>> EtcdStore::Get(const std::string& key) {
  etcd::pb::RangeRequest request;
  request.set_key(key);
  ASSIGN_OR_RETURN(etcd::pb::RangeResponse response, client_.Range(request));
  if (response.kvs_size() == 0) return std::nullopt;
  return Decode(response.kvs(0));
}

absl::StatusOr<StoredList> EtcdStore::List(const std::string& prefix) {
  etcd::pb::RangeRequest request;
  request.set_key(prefix);
  request.set_range_end(etcd::PrefixRangeEnd(prefix));
  ASSIGN_OR_RETURN(etcd::pb::RangeResponse response, client_.Range(request));
  StoredList list;
  list.revision = response.header().revision();
  for (const mvccpb::KeyValue& kv : response.kvs()) list.items.push_back(Decode(kv));
  return list;
}

absl::StatusOr<StoredList> EtcdStore::ListPage(const std::string& prefix, const std::string& from,
                                               int64_t limit, int64_t revision, bool& more) {
  etcd::pb::RangeRequest request;
  request.set_key(from.empty() ? prefix : from);
  request.set_range_end(etcd::PrefixRangeEnd(prefix));
  request.set_limit(limit);
  request.set_revision(revision);
  ASSIGN_OR_RETURN(etcd::pb::RangeResponse response, client_.Range(request));
  StoredList list;
  list.revision = revision != 0 ? revision : response.header().revision();
  for (const mvccpb::KeyValue& kv : response.kvs()) list.items.push_back(Decode(kv));
  more = response.more();
  return list;
}

absl::StatusOr<std::optional<StoredObject>> EtcdStore::PutIf(const std::string& key,
                                                             nlohmann::json object,
                                                             const etcd::pb::Compare& compare) {
  if (object.contains("metadata")) object["metadata"].erase("resourceVersion");
  etcd::pb::TxnRequest txn;
  *txn.add_compare() = compare;
  etcd::pb::PutRequest* put = txn.add_success()->mutable_request_put();
  put->set_key(key);
  put->set_value(object.dump());
  ASSIGN_OR_RETURN(etcd::pb::TxnResponse response, client_.Txn(txn));
  if (!response.succeeded()) return std::nullopt;
  StoredObject stored{std::move(object), response.header().revision()};
  stored.object["metadata"]["resourceVersion"] = std::to_string(stored.mod_revision);
  return stored;
}

absl::StatusOr<std::optional<StoredObject>> EtcdStore::Create(const std::string& key,
                                                              nlohmann::json object) {
  etcd::pb::Compare absent;
  absent.set_key(key);
  absent.set_target(etcd::pb::Compare::CREATE);
  absent.set_result(etcd::pb::Compare::EQUAL);
  absent.set_create_revision(0);
  return PutIf(key, std::move(object), absent);
}

absl::StatusOr<std::optional<StoredObject>> EtcdStore::Update(const std::string& key,
                                                              nlohmann::json object,
                                                              int64_t mod_revision) {
  etcd::pb::Compare unchanged;
  unchanged.set_key(key);
  unchanged.set_target(etcd::pb::Compare::MOD);
  unchanged.set_result(etcd::pb::Compare::EQUAL);
  unchanged.set_mod_revision(mod_revision);
  return PutIf(key, std::move(object), unchanged);
}

absl::StatusOr<bool> EtcdStore::Delete(const std::string& key, int64_t mod_revision) {
  etcd::pb::TxnRequest txn;
  etcd::pb::Compare* unchanged = txn.add_compare();
  unchanged->set_key(key);
  unchanged->set_target(etcd::pb::Compare::MOD);
  unchanged->set_result(etcd::pb::Compare::EQUAL);
  unchanged->set_mod_revision(mod_revision);
  txn.add_success()->mutable_request_delete_range()->set_key(key);
  ASSIGN_OR_RETURN(etcd::pb::TxnResponse response, client_.Txn(txn));
  return response.succeeded();
}

}  // namespace apiserver
