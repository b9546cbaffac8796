// The `<repository>:<tag>` an image carries in its org.opencontainers.image.ref.name
// annotation. A leading registry host ("registry.example.com/acp/x:1") is dropped: the
// target registry replaces it.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace bundle {

struct ImageName {
  std::string repository;  // "acp/etcd"
  std::string tag;         // "v3.5.9"
  std::string ToString() const { return repository + ":" + tag; }
};

absl::StatusOr<ImageName> ParseImageName(std::string_view ref_name);

}  // namespace bundle
