#include "package/package_manifest.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <set>
#include <string_view>

#include "bundle/image_name.h"
#include "common/absl_fmt.h"
#include "common/bounded_parse.h"

namespace package {
namespace {

absl::Status Invalid(const std::string& where, const std::string& what) {
  return absl::InvalidArgumentError(fmt::format("package {}: {}: {}", where, kManifestFile, what));
}

// Hand-written checks, not std::regex: libstdc++'s regex recurses once per character and a
// long enough field overflows the stack.
bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }

// [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 50.
bool IsDnsLabel(std::string_view text) {
  if (text.empty() || text.size() > 50) return false;
  if (!IsLowerAlnum(text.front()) || !IsLowerAlnum(text.back())) return false;
  for (char c : text) {
    if (!IsLowerAlnum(c) && c != '-') return false;
  }
  return true;
}

// [A-Za-z0-9][A-Za-z0-9._+-]{0,62}
bool IsVersion(std::string_view text) {
  if (text.empty() || text.size() > 63 || !IsAlnum(text.front())) return false;
  for (char c : text) {
    if (!IsAlnum(c) && c != '.' && c != '_' && c != '+' && c != '-') return false;
  }
  return true;
}

// os/arch or os/arch/variant, each [a-z0-9]+.
bool IsPlatform(std::string_view text) {
  if (text.size() > 64) return false;
  int parts = 0;
  size_t start = 0;
  while (true) {
    const size_t slash = text.find('/', start);
    const std::string_view part = text.substr(start, slash - start);
    if (part.empty()) return false;
    for (char c : part) {
      if (!IsLowerAlnum(c)) return false;
    }
    ++parts;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts == 2 || parts == 3;
}

// A field quoted in an error: at most a line's worth of it.
std::string Shown(const std::string& text) {
  return text.size() > 80 ? text.substr(0, 80) + "..." : text;
}

}  // namespace

std::string TypeName(PackageType type) {
  switch (type) {
    case PackageType::kOperatorBundle:
      return "bundle";
    case PackageType::kClusterPlugin:
      return "plugin";
    case PackageType::kChart:
      return "chart";
  }
  return "unknown";
}

absl::StatusOr<PackageManifest> ParsePackageManifest(const std::string& yaml_text,
                                                     const std::string& where) {
  auto loaded =
      common::ParseYamlBounded(yaml_text, kMaxManifestBytes, kMaxManifestDepth, kManifestFile);
  if (!loaded.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("package {}: {}", where, common::View(loaded.status().message())));
  }
  const YAML::Node root = *std::move(loaded);
  if (!root.IsMap()) return Invalid(where, "must be a mapping (name:, type:, version:, ...)");
  static const std::set<std::string> kKnown = {
      "formatVersion", "name",     "displayName",   "type",      "version",
      "architectures", "artifact", "relatedImages", "lifecycle", "chart"};
  PackageManifest manifest;
  try {
    for (const auto& entry : root) {
      const std::string key = entry.first.as<std::string>();
      if (!kKnown.contains(key)) return Invalid(where, fmt::format("unknown field \"{}\"", key));
    }
    if (root["formatVersion"] && root["formatVersion"].as<int>() != 1) {
      return Invalid(where, "formatVersion must be 1 (this violet reads format 1)");
    }
    auto text = [&](const char* key) {
      return root[key] ? root[key].as<std::string>() : std::string();
    };
    manifest.name = text("name");
    manifest.display_name = text("displayName");
    manifest.version = text("version");
    manifest.artifact = text("artifact");
    manifest.lifecycle = text("lifecycle");
    manifest.chart = text("chart");
    const std::string type = text("type");
    if (type == "bundle") {
      manifest.type = PackageType::kOperatorBundle;
    } else if (type == "plugin") {
      manifest.type = PackageType::kClusterPlugin;
    } else if (type == "chart") {
      manifest.type = PackageType::kChart;
    } else {
      return Invalid(where, fmt::format("type \"{}\" is not one of bundle, plugin, chart", type));
    }
    if (root["architectures"]) {
      if (!root["architectures"].IsSequence()) return Invalid(where, "architectures: a list");
      for (const auto& arch : root["architectures"]) {
        manifest.architectures.push_back(arch.as<std::string>());
      }
    }
    if (root["relatedImages"]) {
      if (!root["relatedImages"].IsSequence()) return Invalid(where, "relatedImages: a list");
      for (const auto& image : root["relatedImages"]) {
        manifest.related_images.push_back(image.as<std::string>());
      }
    }
  } catch (const YAML::Exception& e) {
    return Invalid(where, fmt::format("wrong value type ({})", e.what()));
  }
  if (!IsDnsLabel(manifest.name)) {
    return Invalid(where, fmt::format("name \"{}\" must be lower-case letters, digits and '-' "
                                      "(at most 50)",
                                      Shown(manifest.name)));
  }
  if (!IsVersion(manifest.version)) {
    return Invalid(
        where, fmt::format("version \"{}\" is missing or not a version", Shown(manifest.version)));
  }
  if (manifest.architectures.empty()) {
    return Invalid(where, "architectures is empty (e.g. [linux/amd64])");
  }
  for (const std::string& arch : manifest.architectures) {
    if (!IsPlatform(arch)) {
      return Invalid(where,
                     fmt::format("architecture \"{}\" is not os/arch (linux/amd64)", Shown(arch)));
    }
  }
  if (manifest.artifact.empty()) return Invalid(where, "artifact (repository:tag) is missing");
  for (const std::string* image : [&] {
         std::vector<const std::string*> all{&manifest.artifact};
         for (const auto& related : manifest.related_images) all.push_back(&related);
         return all;
       }()) {
    auto parsed = bundle::ParseImageName(*image);
    if (!parsed.ok()) {
      return Invalid(where, fmt::format("{}", common::View(parsed.status().message())));
    }
  }
  if (!manifest.lifecycle.empty() && manifest.lifecycle != "Aligned" &&
      manifest.lifecycle != "Agnostic" && manifest.lifecycle != "Core") {
    return Invalid(where, fmt::format("lifecycle \"{}\" is not Core, Aligned or Agnostic",
                                      Shown(manifest.lifecycle)));
  }
  if (manifest.chart.find("..") != std::string::npos || manifest.chart.starts_with("/")) {
    return Invalid(where, fmt::format("chart \"{}\" must be a path inside the package",
                                      Shown(manifest.chart)));
  }
  if (manifest.display_name.empty()) manifest.display_name = manifest.name;
  return manifest;
}

std::string FormatPackageManifest(const PackageManifest& manifest) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "formatVersion" << YAML::Value << 1;
  out << YAML::Key << "name" << YAML::Value << manifest.name;
  out << YAML::Key << "displayName" << YAML::Value << manifest.display_name;
  out << YAML::Key << "type" << YAML::Value << TypeName(manifest.type);
  out << YAML::Key << "version" << YAML::Value << manifest.version;
  out << YAML::Key << "architectures" << YAML::Value << YAML::Flow << manifest.architectures;
  out << YAML::Key << "artifact" << YAML::Value << manifest.artifact;
  out << YAML::Key << "relatedImages" << YAML::Value << manifest.related_images;
  if (!manifest.lifecycle.empty())
    out << YAML::Key << "lifecycle" << YAML::Value << manifest.lifecycle;
  if (!manifest.chart.empty()) out << YAML::Key << "chart" << YAML::Value << manifest.chart;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace package
