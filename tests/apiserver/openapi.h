// TEST STAND-IN for kube-apiserver: the OpenAPI documents kubectl reads before it validates
// or applies an object, generated once from the ResourceTable.
//
// Each served kind gets a schema with apiVersion, kind and metadata, free-form spec and status
// (x-kubernetes-preserve-unknown-fields) and, for the built-ins whose objects carry other
// top-level fields (ConfigMap data, Secret stringData...), those; kubectl's client-side
// validation then accepts our objects and refuses an unknown top-level field.
//   /openapi/v2: protobuf (kubectl 1.20 and later parse only that).
//   /openapi/v3: the index, and /openapi/v3/<api|apis/group>/<version> JSON documents whose
//   PATCH operations name the GVK and do not offer `fieldValidation`, so kubectl 1.25+ does
//   not rely on server-side field validation (the stand-in has none) and validates itself.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "apiserver/served_resource.h"

namespace apiserver {

struct OpenApiReply {
  std::string body;
  std::string content_type;
};

class OpenApiDocuments {
 public:
  explicit OpenApiDocuments(const ResourceTable& resources);
  // The document served at `path` (query string removed), or nullopt when `path` is not one.
  std::optional<OpenApiReply> Find(const std::string& path) const;

 private:
  std::string v2_protobuf_;
  std::string v3_index_;
  std::map<std::string, std::string> v3_group_versions_;  // "/openapi/v3/apis/g/v" -> JSON
};

}  // namespace apiserver
