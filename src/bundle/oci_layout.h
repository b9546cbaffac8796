// Reads an OCI image layout (oci-layout, index.json, blobs/sha256/...) into the images it
// names, each with its manifest tree; manifests are verified on read, blobs by size here
// and by digest while streamed (blob_reader.h). A corrupt bundle is refused by name.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bundle/image_name.h"

namespace bundle {

struct Descriptor {
  std::string media_type;
  std::string digest;
  int64_t size = 0;
};

// A manifest or an index as stored in the bundle (bytes are pushed as they are, so the
// digest is preserved), with everything it references.
struct ManifestNode {
  Descriptor descriptor;
  std::string bytes;
  std::vector<Descriptor> blobs;       // image manifest: config, then layers
  std::vector<ManifestNode> children;  // index: its manifests (possibly indexes)
  bool is_index() const { return !children.empty(); }
};

struct Image {
  ImageName name;
  ManifestNode root;
};

class OciLayout {
 public:
  // Refuses (InvalidArgument, FailedPrecondition for corruption) a directory that is not a
  // layout, manifests whose digest/size do not match, missing or wrongly sized blobs,
  // unsupported media types and duplicate or malformed image names.
  static absl::StatusOr<OciLayout> Open(const std::string& dir);

  const std::string& dir() const { return dir_; }
  const std::vector<Image>& images() const { return images_; }
  std::string BlobPath(const std::string& digest) const;

 private:
  std::string dir_;
  std::vector<Image> images_;
};

}  // namespace bundle
