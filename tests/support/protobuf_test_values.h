// Builds values as kube-apiserver stores them with protobuf encoding ("k8s\0" +
// runtime.Unknown{typeMeta, raw}), for tests of the metadata reader and the sync engine.
#pragma once

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>

#include <string>
#include <vector>

namespace testing_values {

inline void AppendBytes(std::string& out, int field, const std::string& bytes) {
  using google::protobuf::internal::WireFormatLite;
  google::protobuf::io::StringOutputStream sink(&out);
  google::protobuf::io::CodedOutputStream stream(&sink);
  stream.WriteTag(WireFormatLite::MakeTag(field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
  stream.WriteVarint32(static_cast<uint32_t>(bytes.size()));
  stream.WriteRaw(bytes.data(), static_cast<int>(bytes.size()));
}

inline std::string ProtobufObject(const std::string& api_version, const std::string& kind,
                                  const std::string& name, const std::string& ns,
                                  const std::string& uid,
                                  const std::vector<std::string>& owner_uids) {
  std::string meta;
  AppendBytes(meta, 1, name);
  if (!ns.empty()) AppendBytes(meta, 3, ns);
  AppendBytes(meta, 5, uid);
  for (const std::string& owner : owner_uids) {
    std::string reference;
    AppendBytes(reference, 1, "Owner");
    AppendBytes(reference, 3, "owner-name");
    AppendBytes(reference, 4, owner);
    AppendBytes(reference, 5, "v1");
    AppendBytes(meta, 13, reference);
  }
  std::string object;
  AppendBytes(object, 1, meta);
  AppendBytes(object, 2, "spec-bytes");
  std::string type_meta;
  AppendBytes(type_meta, 1, api_version);
  AppendBytes(type_meta, 2, kind);
  std::string unknown;
  AppendBytes(unknown, 1, type_meta);
  AppendBytes(unknown, 2, object);
  AppendBytes(unknown, 4, "application/vnd.kubernetes.protobuf");
  return std::string("k8s\0", 4) + unknown;
}

}  // namespace testing_values
