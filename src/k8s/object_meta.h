// Reads the metadata etcd-sync needs (uid, ownerReferences' uids, name, namespace) from an
// etcd value in either encoding kube-apiserver writes: JSON, or the protobuf envelope
// ("k8s\0" + runtime.Unknown whose raw object has ObjectMeta as field 1). Values
// encrypted at rest ("k8s:enc:") are opaque.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace k8s {

struct ObjectMeta {
  enum class Encoding { kJson, kProtobuf, kEncrypted, kUnknown };
  Encoding encoding = Encoding::kUnknown;
  std::string name;
  std::string ns;
  std::string uid;
  std::vector<std::string> owner_uids;
};

ObjectMeta ReadObjectMeta(std::string_view value);

// spec.nodeName of a Pod value in either encoding: the node the Pod is bound to. Empty when
// the Pod is not bound, the value is not a Pod (its kind says otherwise), is encrypted, or
// does not decode. Reads at most the envelope, the object and its spec: no recursion.
std::string ReadPodNodeName(std::string_view value);

// The protobuf envelope's magic prefix, for tests and tools that write such values.
inline constexpr std::string_view kProtobufMagic{"k8s\0", 4};
inline constexpr std::string_view kEncryptedPrefix{"k8s:enc:"};

}  // namespace k8s
