// The metadata file every violet package carries (package.yaml at the archive's root): what
// the package is, which image is its artifact and which images come with it. Parse + validate.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace package {

inline constexpr const char* kManifestFile = "package.yaml";
inline constexpr const char* kImagesDir = "images";
// package.yaml is a page of metadata: larger or deeper files are refused unread.
inline constexpr size_t kMaxManifestBytes = 1 << 20;
inline constexpr int kMaxManifestDepth = 16;

enum class PackageType { kOperatorBundle, kClusterPlugin, kChart };

// "bundle", "plugin", "chart": the words package.yaml and `violet show` use.
std::string TypeName(PackageType type);

struct PackageManifest {
  std::string name;          // "topolvm-operator" (DNS-1123 label)
  std::string display_name;  // defaults to name
  PackageType type = PackageType::kOperatorBundle;
  std::string version;                      // "v2.3.0"
  std::vector<std::string> architectures;   // ["linux/amd64", "linux/arm64"]
  std::string artifact;                     // "acp/topolvm-operator-bundle:v2.3.0" (in images/)
  std::vector<std::string> related_images;  // "acp/topolvm:v2.3.0", ... (in images/)
  std::string lifecycle;                    // plugins: "Aligned" | "Agnostic" | "" (Agnostic)
  std::string chart;                        // charts/plugins: path of the chart .tgz inside
};

// Parses and validates package.yaml's text; `where` names the package in errors.
absl::StatusOr<PackageManifest> ParsePackageManifest(const std::string& yaml_text,
                                                     const std::string& where);

// The YAML for `manifest` (what make-sample-packages and the tests write).
std::string FormatPackageManifest(const PackageManifest& manifest);

}  // namespace package
