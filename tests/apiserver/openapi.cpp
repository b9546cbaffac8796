#include "apiserver/openapi.h"

#include <fmt/format.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>
#include <vector>

#include "openapi_v2.pb.h"

namespace apiserver {
namespace {

// Top-level fields a kind's objects carry besides apiVersion, kind and metadata, with their
// OpenAPI type ("object": free-form).
std::vector<std::pair<std::string, std::string>> TopLevelFields(const ServedResource& resource) {
  if (resource.group.empty() && resource.kind == "ConfigMap") {
    return {{"data", "object"}, {"binaryData", "object"}, {"immutable", "boolean"}};
  }
  if (resource.group.empty() && resource.kind == "Secret") {
    return {
        {"data", "object"}, {"stringData", "object"}, {"type", "string"}, {"immutable", "boolean"}};
  }
  return {{"spec", "object"}, {"status", "object"}};
}

std::vector<std::pair<std::string, std::string>> AllFields(const ServedResource& resource) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"apiVersion", "string"}, {"kind", "string"}, {"metadata", "object"}};
  for (auto& field : TopLevelFields(resource)) fields.push_back(std::move(field));
  return fields;
}

// kube-apiserver's definition names: the group reversed ("example.com" -> "com.example"),
// io.k8s.api.core for the core group, then version and kind.
std::string DefinitionName(const ServedResource& resource) {
  std::string reversed;
  std::string_view group = resource.group;
  while (!group.empty()) {
    const size_t dot = group.rfind('.');
    const std::string_view label = dot == std::string_view::npos ? group : group.substr(dot + 1);
    if (!reversed.empty()) reversed += '.';
    reversed += label;
    group = dot == std::string_view::npos ? std::string_view() : group.substr(0, dot);
  }
  if (reversed.empty()) reversed = "io.k8s.api.core";
  return fmt::format("{}.{}.{}", reversed, resource.version, resource.kind);
}

std::string GvkYaml(const ServedResource& resource) {
  return fmt::format("- group: \"{}\"\n  kind: \"{}\"\n  version: \"{}\"\n", resource.group,
                     resource.kind, resource.version);
}

void AddExtension(google::protobuf::RepeatedPtrField<openapi::v2::NamedAny>* extensions,
                  const std::string& name, const std::string& yaml) {
  openapi::v2::NamedAny* extension = extensions->Add();
  extension->set_name(name);
  extension->mutable_value()->set_yaml(yaml);
}

std::string V2Protobuf(const ResourceTable& resources) {
  openapi::v2::Document document;
  document.set_swagger("2.0");
  document.mutable_info()->set_title("Kubernetes (test stand-in)");
  document.mutable_info()->set_version("v1.20.0");
  std::set<std::string> seen;
  for (const ServedResource& resource : resources) {
    const std::string name = DefinitionName(resource);
    if (!seen.insert(name).second) continue;
    openapi::v2::NamedSchema* named = document.mutable_definitions()->add_additional_properties();
    named->set_name(name);
    openapi::v2::Schema* schema = named->mutable_value();
    schema->set_description(resource.kind + " (test stand-in schema)");
    schema->mutable_type()->add_value("object");
    for (const auto& [field, type] : AllFields(resource)) {
      openapi::v2::NamedSchema* property =
          schema->mutable_properties()->add_additional_properties();
      property->set_name(field);
      property->mutable_value()->mutable_type()->add_value(type);
      if (type == "object") {
        AddExtension(property->mutable_value()->mutable_vendor_extension(),
                     "x-kubernetes-preserve-unknown-fields", "true\n");
      }
    }
    AddExtension(schema->mutable_vendor_extension(), "x-kubernetes-group-version-kind",
                 GvkYaml(resource));
  }
  std::string bytes;
  document.SerializeToString(&bytes);
  return bytes;
}

nlohmann::json V3Schema(const ServedResource& resource) {
  nlohmann::json properties = nlohmann::json::object();
  for (const auto& [field, type] : AllFields(resource)) {
    nlohmann::json property = {{"type", type}};
    if (type == "object") property["x-kubernetes-preserve-unknown-fields"] = true;
    properties[field] = property;
  }
  return {{"type", "object"},
          {"description", resource.kind + " (test stand-in schema)"},
          {"properties", properties},
          {"x-kubernetes-group-version-kind",
           {{{"group", resource.group}, {"version", resource.version}, {"kind", resource.kind}}}}};
}

// FNV-1a: a stable hash for the ?hash= of the v3 index.
std::string Hash(const std::string& text) {
  uint64_t hash = 14695981039346656037ULL;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return fmt::format("{:016X}", hash);
}

}  // namespace

OpenApiDocuments::OpenApiDocuments(const ResourceTable& resources)
    : v2_protobuf_(V2Protobuf(resources)) {
  std::map<std::string, nlohmann::json> documents;  // "apis/g/v" or "api/v1"
  for (const ServedResource& resource : resources) {
    const std::string prefix =
        resource.group.empty() ? "api/" + resource.version : "apis/" + resource.GroupVersion();
    nlohmann::json& document = documents[prefix];
    if (document.is_null()) {
      document = {{"openapi", "3.0.0"},
                  {"info", {{"title", "Kubernetes (test stand-in)"}, {"version", "v1.20.0"}}},
                  {"paths", nlohmann::json::object()},
                  {"components", {{"schemas", nlohmann::json::object()}}}};
    }
    const std::string name = DefinitionName(resource);
    document["components"]["schemas"][name] = V3Schema(resource);
    const std::string path =
        fmt::format("/{}/{}{}/{{name}}", prefix,
                    resource.namespaced ? "namespaces/{namespace}/" : "", resource.resource);
    const nlohmann::json gvk = {
        {"group", resource.group}, {"version", resource.version}, {"kind", resource.kind}};
    const nlohmann::json ref = {
        {"content",
         {{"application/json", {{"schema", {{"$ref", "#/components/schemas/" + name}}}}}}}};
    // No `fieldValidation` parameter: the stand-in does not validate fields itself.
    document["paths"][path] = {
        {"get", {{"x-kubernetes-group-version-kind", gvk}, {"responses", {{"200", ref}}}}},
        {"put",
         {{"x-kubernetes-group-version-kind", gvk},
          {"requestBody", ref},
          {"responses", {{"200", ref}}}}},
        {"patch",
         {{"x-kubernetes-group-version-kind", gvk},
          {"parameters", {{{"name", "dryRun"}, {"in", "query"}, {"schema", {{"type", "string"}}}}}},
          {"responses", {{"200", ref}}}}}};
  }
  nlohmann::json index = {{"paths", nlohmann::json::object()}};
  for (const auto& [prefix, document] : documents) {
    const std::string text = document.dump();
    const std::string url = "/openapi/v3/" + prefix;
    index["paths"][prefix] = {{"serverRelativeURL", url + "?hash=" + Hash(text)}};
    v3_group_versions_[url] = text;
  }
  v3_index_ = index.dump();
}

std::optional<OpenApiReply> OpenApiDocuments::Find(const std::string& path) const {
  if (path == "/openapi/v2") {
    // Go cannot parse the "@" of the media type kubectl asks for; kube-apiserver answers so.
    return OpenApiReply{v2_protobuf_, "application/octet-stream"};
  }
  if (path == "/openapi/v3" || path == "/openapi/v3/") {
    return OpenApiReply{v3_index_, "application/json"};
  }
  if (auto it = v3_group_versions_.find(path); it != v3_group_versions_.end()) {
    return OpenApiReply{it->second, "application/json"};
  }
  return std::nullopt;
}

}  // namespace apiserver
