#include "package/package_manifest.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <regex>
#include <set>

#include "bundle/image_name.h"
#include "common/absl_fmt.h"

namespace package {
namespace {

absl::Status Invalid(const std::string& where, const std::string& what) {
  return absl::InvalidArgumentError(fmt::format("package {}: {}: {}", where, kManifestFile, what));
}

bool IsDnsLabel(const std::string& text) {
  static const std::regex kLabel("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  return text.size() <= 50 && std::regex_match(text, kLabel);
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
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return Invalid(where, fmt::format("not YAML ({})", e.what()));
  }
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
                                      manifest.name));
  }
  static const std::regex kVersion("[A-Za-z0-9][A-Za-z0-9._+-]{0,62}");
  if (!std::regex_match(manifest.version, kVersion)) {
    return Invalid(where,
                   fmt::format("version \"{}\" is missing or not a version", manifest.version));
  }
  if (manifest.architectures.empty()) {
    return Invalid(where, "architectures is empty (e.g. [linux/amd64])");
  }
  static const std::regex kPlatform("[a-z0-9]+/[a-z0-9]+(/[a-z0-9]+)?");
  for (const std::string& arch : manifest.architectures) {
    if (!std::regex_match(arch, kPlatform)) {
      return Invalid(where, fmt::format("architecture \"{}\" is not os/arch (linux/amd64)", arch));
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
      return Invalid(where, fmt::format("image \"{}\": {}", *image, parsed.status().message()));
    }
  }
  if (!manifest.lifecycle.empty() && manifest.lifecycle != "Aligned" &&
      manifest.lifecycle != "Agnostic" && manifest.lifecycle != "Core") {
    return Invalid(where, fmt::format("lifecycle \"{}\" is not Core, Aligned or Agnostic",
                                      manifest.lifecycle));
  }
  if (manifest.chart.find("..") != std::string::npos || manifest.chart.starts_with("/")) {
    return Invalid(where,
                   fmt::format("chart \"{}\" must be a path inside the package", manifest.chart));
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
