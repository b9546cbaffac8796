// Moving a single-architecture platform to the hybrid (x86 + ARM) package (acp-spec.md §3
// "Other use"): after the hybrid bundle's images are synced, label
// cpaas.io/node-arch-constraint comes off Cluster global. Refused, before the label is
// touched, when an image of the bundle lacks an architecture the cluster's nodes run.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bundle/oci_layout.h"
#include "k8s/rest_client.h"

namespace upgrade {

inline constexpr const char* kNodeArchConstraintLabel = "cpaas.io/node-arch-constraint";

struct ImageArchitectures {
  std::string image;                // repository:tag
  std::set<std::string> platforms;  // "amd64", "arm64" (an index's platforms, or the config's)
};

// The architectures each image of the layout offers: an index's manifests[].platform
// (nested indexes included), a lone manifest's config `architecture`.
absl::StatusOr<std::vector<ImageArchitectures>> BundleArchitectures(
    const bundle::OciLayout& layout);

// "acp/x:v1 (amd64)" for each image lacking one of `node_architectures`; empty: none.
std::vector<std::string> ImagesMissingArchitectures(
    const std::vector<ImageArchitectures>& images, const std::set<std::string>& node_architectures);

// The architectures global's Nodes run (label kubernetes.io/arch, else nodeInfo.architecture).
absl::StatusOr<std::set<std::string>> NodeArchitectures(k8s::RestClient& global);

struct HybridBundleCheck {
  bool covered = false;  // every image offers every architecture of the nodes
  std::string line;      // the summary, or the refusal naming the first images
};
// Errors are the bundle's (missing, corrupt: bundle/oci_layout.h).
absl::StatusOr<HybridBundleCheck> CheckHybridBundle(
    const std::string& bundle_dir, const std::set<std::string>& node_architectures);

// Removes the label from Cluster global: "removed" or "was not set" (one line).
absl::StatusOr<std::string> RemoveNodeArchConstraint(k8s::RestClient& global);

}  // namespace upgrade
