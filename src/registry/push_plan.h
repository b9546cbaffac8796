// Turns the images still to push into one dependency graph for the whole bundle: each
// unique blob uploaded once (by the first repository needing it), mounted everywhere else,
// manifests after their blobs, indexes after their children, tags last. Pure logic.
#pragma once

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "bundle/oci_layout.h"

namespace registry {

struct PlanTask {
  enum class Kind { kUpload, kMount, kManifest };
  Kind kind = Kind::kUpload;
  std::string repository;
  std::string image;                               // the first image needing it (names errors)
  int image_index = 0;                             // that image's place in the work list
  bundle::Descriptor blob;                         // kUpload, kMount
  std::string from;                                // kMount: repository that receives the upload
  const bundle::ManifestNode* manifest = nullptr;  // kManifest
  std::string reference;                           // kManifest: tag (image root) or digest
  bool image_root = false;         // kManifest by tag: the image is complete when done
  std::vector<size_t> dependents;  // tasks waiting for this one
  int dependencies = 0;            // tasks this one waits for
};

// What to do for one image, decided by looking at the target first.
struct ImageWork {
  const bundle::Image* image;
  bool tag_only = false;  // the manifest is in the target by digest: only the tag is missing
};

struct PushPlan {
  std::vector<PlanTask> tasks;
  int64_t upload_bytes = 0;  // sum of unique blobs to upload (before HEAD checks)
  size_t uploads = 0, mounts = 0, manifests = 0;
};

PushPlan BuildPushPlan(const std::vector<ImageWork>& work);

// Which ready task a free worker takes first (the greater): manifests, then mounts, then
// uploads; each kind in image order, so images complete one after another as the push goes
// (the operator's "images n/N" advances) instead of all at the very end; an image's largest
// blobs first, so its tail is short.
std::tuple<int, int, int64_t> TaskPriority(const PlanTask& task);

}  // namespace registry
