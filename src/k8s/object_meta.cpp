#include "k8s/object_meta.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <nlohmann/json.hpp>

namespace k8s {
namespace {

using google::protobuf::internal::WireFormatLite;
using Stream = google::protobuf::io::CodedInputStream;

// Field numbers from Kubernetes' generated.proto files.
constexpr int kUnknownRaw = 2;            // runtime.Unknown.raw
constexpr int kObjectMetadata = 1;        // every object's metadata
constexpr int kMetaName = 1;              // ObjectMeta.name
constexpr int kMetaNamespace = 3;         // ObjectMeta.namespace
constexpr int kMetaUid = 5;               // ObjectMeta.uid
constexpr int kMetaOwnerReferences = 13;  // ObjectMeta.ownerReferences
constexpr int kOwnerUid = 4;              // OwnerReference.uid
constexpr int kUnknownTypeMeta = 1;       // runtime.Unknown.typeMeta
constexpr int kTypeMetaKind = 2;          // TypeMeta.kind
constexpr int kPodSpec = 2;               // Pod.spec
constexpr int kPodSpecNodeName = 10;      // PodSpec.nodeName

// Calls `on_field(number, bytes)` for each length-delimited field; skips others.
template <typename OnField>
bool ForEachBytesField(std::string_view message, OnField on_field) {
  Stream stream(reinterpret_cast<const uint8_t*>(message.data()), static_cast<int>(message.size()));
  while (true) {
    const uint32_t tag = stream.ReadTag();
    if (tag == 0) return stream.CurrentPosition() == static_cast<int>(message.size());
    if (WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      uint32_t length = 0;
      if (!stream.ReadVarint32(&length)) return false;
      const int position = stream.CurrentPosition();
      if (length > message.size() - static_cast<size_t>(position)) return false;
      on_field(WireFormatLite::GetTagFieldNumber(tag), message.substr(position, length));
      if (!stream.Skip(static_cast<int>(length))) return false;
    } else if (!WireFormatLite::SkipField(&stream, tag)) {
      return false;
    }
  }
}

bool ReadProtobufMeta(std::string_view envelope, ObjectMeta& meta) {
  std::string_view raw;
  if (!ForEachBytesField(envelope, [&](int field, std::string_view bytes) {
        if (field == kUnknownRaw) raw = bytes;
      })) {
    return false;
  }
  std::string_view object_meta;
  if (!ForEachBytesField(raw, [&](int field, std::string_view bytes) {
        if (field == kObjectMetadata) object_meta = bytes;
      })) {
    return false;
  }
  return ForEachBytesField(object_meta, [&](int field, std::string_view bytes) {
    switch (field) {
      case kMetaName:
        meta.name = bytes;
        break;
      case kMetaNamespace:
        meta.ns = bytes;
        break;
      case kMetaUid:
        meta.uid = bytes;
        break;
      case kMetaOwnerReferences:
        ForEachBytesField(bytes, [&](int owner_field, std::string_view value) {
          if (owner_field == kOwnerUid) meta.owner_uids.emplace_back(value);
        });
        break;
      default:
        break;
    }
  });
}

bool ReadJsonMeta(std::string_view value, ObjectMeta& meta) {
  nlohmann::json json = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return false;
  auto metadata = json.find("metadata");
  if (metadata == json.end() || !metadata->is_object()) return true;
  auto text = [&](const char* field) {
    auto it = metadata->find(field);
    return it != metadata->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  meta.name = text("name");
  meta.ns = text("namespace");
  meta.uid = text("uid");
  auto owners = metadata->find("ownerReferences");
  if (owners != metadata->end() && owners->is_array()) {
    for (const auto& owner : *owners) {
      auto uid = owner.find("uid");
      if (uid != owner.end() && uid->is_string()) meta.owner_uids.push_back(*uid);
    }
  }
  return true;
}

std::string ReadProtobufNodeName(std::string_view envelope) {
  std::string_view type_meta;
  std::string_view raw;
  if (!ForEachBytesField(envelope, [&](int field, std::string_view bytes) {
        if (field == kUnknownTypeMeta) type_meta = bytes;
        if (field == kUnknownRaw) raw = bytes;
      })) {
    return "";
  }
  std::string_view kind;
  if (!ForEachBytesField(type_meta, [&](int field, std::string_view bytes) {
        if (field == kTypeMetaKind) kind = bytes;
      })) {
    return "";
  }
  if (!kind.empty() && kind != "Pod") return "";
  std::string_view spec;
  if (!ForEachBytesField(raw, [&](int field, std::string_view bytes) {
        if (field == kPodSpec) spec = bytes;
      })) {
    return "";
  }
  std::string_view node_name;
  if (!ForEachBytesField(spec, [&](int field, std::string_view bytes) {
        if (field == kPodSpecNodeName) node_name = bytes;
      })) {
    return "";
  }
  return std::string(node_name);
}

std::string ReadJsonNodeName(std::string_view value) {
  nlohmann::json json = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return "";
  auto kind = json.find("kind");
  if (kind != json.end() && (!kind->is_string() || *kind != "Pod")) return "";
  auto spec = json.find("spec");
  if (spec == json.end() || !spec->is_object()) return "";
  auto node_name = spec->find("nodeName");
  return node_name != spec->end() && node_name->is_string() ? node_name->get<std::string>() : "";
}

}  // namespace

std::string ReadPodNodeName(std::string_view value) {
  if (value.starts_with(kEncryptedPrefix)) return "";
  if (value.starts_with(kProtobufMagic)) {
    return ReadProtobufNodeName(value.substr(kProtobufMagic.size()));
  }
  if (!value.empty() && value.front() == '{') return ReadJsonNodeName(value);
  return "";
}

ObjectMeta ReadObjectMeta(std::string_view value) {
  ObjectMeta meta;
  if (value.starts_with(kEncryptedPrefix)) {
    meta.encoding = ObjectMeta::Encoding::kEncrypted;
  } else if (value.starts_with(kProtobufMagic)) {
    if (ReadProtobufMeta(value.substr(kProtobufMagic.size()), meta)) {
      meta.encoding = ObjectMeta::Encoding::kProtobuf;
    } else {
      meta = ObjectMeta();
    }
  } else if (!value.empty() && value.front() == '{' && ReadJsonMeta(value, meta)) {
    meta.encoding = ObjectMeta::Encoding::kJson;
  }
  return meta;
}

}  // namespace k8s
