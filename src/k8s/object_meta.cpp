#include "k8s/object_meta.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
#include <simdjson.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

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

// JSON is read first with simdjson's DOM parser: the whole value is validated (UTF-8, strings,
// numbers, structure) in SIMD passes and laid out as a tape, iteratively (input cannot deepen a
// recursion), at well over 1 GB/s against ~50 MB/s for nlohmann's lexer, which copies every
// string byte by byte; in the initial copy that lexer was half of etcd-sync's CPU. Whatever
// simdjson refuses is handed to nlohmann's SAX parser below, which decides: invalid JSON, but
// also values simdjson does not hold that nlohmann accepts (integers past 64 bits, nesting
// past 1,024 levels, values past kFastMaxBytes). Where simdjson accepts, nlohmann accepts too,
// and both read the same fields (JsonReadersTest and object_meta_fuzzer check this against a
// whole nlohmann document).
constexpr size_t kFastMaxBytes = 256 * 1024;         // the parser's memory is ~14 bytes per byte
static_assert(simdjson::DEFAULT_MAX_DEPTH == 1024);  // deeper: nlohmann decides

// One per thread: the parser and its padded copy of the value are reused, so a value costs a
// memcpy and no allocation once the buffers have grown to fit it (at most ~3.5 MiB a thread).
class FastJson {
 public:
  // The value's root, valid until the next Parse on this thread; null when simdjson refuses it.
  const simdjson::dom::element* Parse(std::string_view value) {
    if (value.size() > kFastMaxBytes) return nullptr;
    const size_t padded_size = value.size() + simdjson::SIMDJSON_PADDING;
    if (padded_.size() < padded_size) padded_.resize(padded_size);
    std::memcpy(padded_.data(), value.data(), value.size());
    std::memset(padded_.data() + value.size(), 0, simdjson::SIMDJSON_PADDING);
    if (parser_.parse(padded_.data(), value.size(), /*realloc_if_needed=*/false).get(root_) !=
        simdjson::SUCCESS) {
      return nullptr;
    }
    return &root_;
  }

  static FastJson& ForThisThread() {
    thread_local FastJson fast;
    return fast;
  }

 private:
  // Sized on first use; grows as larger values come, up to kFastMaxBytes.
  FastJson() : parser_(kFastMaxBytes) {}

  simdjson::dom::parser parser_;
  std::vector<char> padded_;
  simdjson::dom::element root_;
};

// The last member named `name` of `object` (a repeated key: the last wins, as in a document).
std::optional<simdjson::dom::element> LastMember(simdjson::dom::object object,
                                                 std::string_view name) {
  std::optional<simdjson::dom::element> found;
  for (simdjson::dom::key_value_pair member : object) {
    if (member.key == name) found = member.value;
  }
  return found;
}

std::optional<std::string_view> StringOf(simdjson::dom::element element) {
  std::string_view text;
  if (element.get_string().get(text) != simdjson::SUCCESS) return std::nullopt;
  return text;
}

// False when the root is not an object.
bool FastMeta(simdjson::dom::element root, ObjectMeta& meta) {
  simdjson::dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) return false;
  const std::optional<simdjson::dom::element> metadata = LastMember(object, "metadata");
  simdjson::dom::object fields;
  if (!metadata || metadata->get_object().get(fields) != simdjson::SUCCESS) return true;
  std::optional<simdjson::dom::element> owners;
  for (simdjson::dom::key_value_pair field : fields) {
    std::string* text = field.key == "name"        ? &meta.name
                        : field.key == "namespace" ? &meta.ns
                        : field.key == "uid"       ? &meta.uid
                                                   : nullptr;
    if (text != nullptr) {
      *text = StringOf(field.value).value_or(std::string_view());
    } else if (field.key == "ownerReferences") {
      owners = field.value;
    }
  }
  simdjson::dom::array list;
  if (!owners || owners->get_array().get(list) != simdjson::SUCCESS) return true;
  for (simdjson::dom::element owner : list) {
    simdjson::dom::object entry;
    if (owner.get_object().get(entry) != simdjson::SUCCESS) continue;
    const std::optional<simdjson::dom::element> uid = LastMember(entry, "uid");
    if (!uid) continue;
    if (std::optional<std::string_view> text = StringOf(*uid)) meta.owner_uids.emplace_back(*text);
  }
  return true;
}

std::string FastNodeName(simdjson::dom::element root) {
  simdjson::dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) return "";
  if (const std::optional<simdjson::dom::element> kind = LastMember(object, "kind")) {
    if (StringOf(*kind) != std::optional<std::string_view>("Pod")) return "";
  }
  const std::optional<simdjson::dom::element> spec = LastMember(object, "spec");
  simdjson::dom::object fields;
  if (!spec || spec->get_object().get(fields) != simdjson::SUCCESS) return "";
  const std::optional<simdjson::dom::element> node_name = LastMember(fields, "nodeName");
  if (!node_name) return "";
  return std::string(StringOf(*node_name).value_or(std::string_view()));
}

// The fallback for what simdjson refuses: nlohmann's SAX parser (iterative: input cannot deepen
// a recursion), keeping only the fields asked for; no document is built. Where a key repeats, the
// last occurrence wins, as in a parsed document. The handler tracks where it is with the nesting
// depth and what the key of each open container was.
class JsonFieldReader : public nlohmann::json_sax<nlohmann::json> {
 public:
  // Containers and scalars at depth 1 are the root object's members, and so on.
  bool null() override { return Scalar(nullptr); }
  bool boolean(bool) override { return Scalar(nullptr); }
  bool number_integer(number_integer_t) override { return Scalar(nullptr); }
  bool number_unsigned(number_unsigned_t) override { return Scalar(nullptr); }
  bool number_float(number_float_t, const string_t&) override { return Scalar(nullptr); }
  bool string(string_t& value) override { return Scalar(&value); }
  bool binary(binary_t&) override { return Scalar(nullptr); }
  bool start_object(std::size_t) override { return Open(true); }
  bool start_array(std::size_t) override { return Open(false); }
  bool end_object() override { return Close(); }
  bool end_array() override { return Close(); }
  bool key(string_t& name) override {
    key_ = std::move(name);
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

  bool root_is_object = false;

 protected:
  // A container opens: `key` is its key in the enclosing object ("" in an array), `depth` the
  // depth of its members.
  virtual void Opened(bool is_object, const std::string& key, int depth) = 0;
  virtual void Closed(int depth) = 0;
  // A scalar member (`value` null unless it is a string) of an object at `depth`, or an
  // element of an array (`key` empty).
  virtual void Member(const std::string& key, const std::string* value, int depth) = 0;
  // Whether the container at `depth` (1: the root) is an object.
  bool IsObject(int depth) const {
    return depth >= 1 && static_cast<size_t>(depth) <= kinds_.size() && kinds_[depth - 1];
  }

 private:
  bool Scalar(const std::string* value) {
    const std::string key = IsObject(depth_) ? std::move(key_) : std::string();
    Member(key, value, depth_);
    return true;
  }
  bool Open(bool is_object) {
    if (depth_ == 0) root_is_object = is_object;
    const std::string key = IsObject(depth_) ? std::move(key_) : std::string();
    ++depth_;
    kinds_.push_back(is_object);
    Opened(is_object, key, depth_);
    return true;
  }
  bool Close() {
    Closed(depth_);
    --depth_;
    kinds_.pop_back();
    return true;
  }

  int depth_ = 0;
  std::vector<bool> kinds_;  // per open container: object or array
  std::string key_;
};

// metadata.{name,namespace,uid} and metadata.ownerReferences[].uid.
class MetaReader : public JsonFieldReader {
 public:
  explicit MetaReader(ObjectMeta& meta) : meta_(meta) {}

 private:
  void Opened(bool is_object, const std::string& key, int depth) override {
    if (depth == 2 && IsObject(1) && key == "metadata") {
      Reset();  // a repeated "metadata": the last one counts
      in_metadata_ = is_object;
    } else if (in_metadata_ && depth == 3 && key == "ownerReferences") {
      meta_.owner_uids.clear();
      in_owners_ = !is_object;
    } else if (in_owners_ && depth == 4 && is_object) {
      owner_uid_.reset();
    } else if (in_owners_ && depth == 5 && IsObject(4) && key == "uid") {
      owner_uid_.reset();  // a container where a string was expected
    } else if (in_metadata_ && depth == 3) {
      Field(key);  // a container where a string was expected
    }
  }
  void Closed(int depth) override {
    if (in_owners_ && depth == 4 && IsObject(4)) {
      if (owner_uid_) meta_.owner_uids.push_back(std::move(*owner_uid_));
      owner_uid_.reset();
    } else if (in_owners_ && depth == 3) {
      in_owners_ = false;
    } else if (in_metadata_ && depth == 2) {
      in_metadata_ = false;
    }
  }
  void Member(const std::string& key, const std::string* value, int depth) override {
    if (depth == 1 && key == "metadata") {
      Reset();  // "metadata" that is not an object: nothing
    } else if (in_metadata_ && depth == 2) {
      if (key == "ownerReferences") {
        meta_.owner_uids.clear();
        return;
      }
      std::string* field = Field(key);
      if (field != nullptr && value != nullptr) *field = *value;
    } else if (in_owners_ && depth == 4 && IsObject(4) && key == "uid") {
      owner_uid_.reset();
      if (value != nullptr) owner_uid_ = *value;
    }
  }
  // Clears and returns the field `key` names, if it is one we keep.
  std::string* Field(const std::string& key) {
    std::string* field = key == "name"        ? &meta_.name
                         : key == "namespace" ? &meta_.ns
                         : key == "uid"       ? &meta_.uid
                                              : nullptr;
    if (field != nullptr) field->clear();
    return field;
  }
  void Reset() {
    meta_.name.clear();
    meta_.ns.clear();
    meta_.uid.clear();
    meta_.owner_uids.clear();
    in_metadata_ = false;
    in_owners_ = false;
  }

  ObjectMeta& meta_;
  bool in_metadata_ = false;
  bool in_owners_ = false;
  std::optional<std::string> owner_uid_;
};

bool ReadJsonMeta(std::string_view value, ObjectMeta& meta) {
  if (const simdjson::dom::element* root = FastJson::ForThisThread().Parse(value)) {
    if (FastMeta(*root, meta)) return true;
    meta = ObjectMeta();
    return false;
  }
  MetaReader reader(meta);
  if (!nlohmann::json::sax_parse(value, &reader) || !reader.root_is_object) {
    meta = ObjectMeta();
    return false;
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

// "kind" and spec.nodeName.
class NodeNameReader : public JsonFieldReader {
 public:
  enum class Kind { kAbsent, kPod, kOther };
  Kind kind = Kind::kAbsent;
  bool spec_is_object = false;
  std::string node_name;

 private:
  void Opened(bool is_object, const std::string& key, int depth) override {
    if (depth == 2 && IsObject(1) && key == "kind") kind = Kind::kOther;
    if (depth == 2 && IsObject(1) && key == "spec") {
      spec_is_object = is_object;
      node_name.clear();
      in_spec_ = is_object;
    } else if (in_spec_ && depth == 3 && key == "nodeName") {
      node_name.clear();
    }
  }
  void Closed(int depth) override {
    if (in_spec_ && depth == 2) in_spec_ = false;
  }
  void Member(const std::string& key, const std::string* value, int depth) override {
    if (depth == 1 && key == "kind") {
      kind = value != nullptr && *value == "Pod" ? Kind::kPod : Kind::kOther;
    } else if (depth == 1 && key == "spec") {
      spec_is_object = false;
      node_name.clear();
    } else if (in_spec_ && depth == 2 && key == "nodeName") {
      node_name = value != nullptr ? *value : std::string();
    }
  }

  bool in_spec_ = false;
};

std::string ReadJsonNodeName(std::string_view value) {
  // A key spelled nodeName is in the text as such, or written with a backslash-u escape: without
  // either there is none, and most values need no parse at all.
  if (value.find("nodeName") == std::string_view::npos &&
      value.find("\\u") == std::string_view::npos) {
    return "";
  }
  if (const simdjson::dom::element* root = FastJson::ForThisThread().Parse(value)) {
    return FastNodeName(*root);
  }
  NodeNameReader reader;
  if (!nlohmann::json::sax_parse(value, &reader) || !reader.root_is_object) return "";
  if (reader.kind == NodeNameReader::Kind::kOther || !reader.spec_is_object) return "";
  return reader.node_name;
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
