// Reads an OCI image layout (oci-layout, index.json, blobs/sha256/...) into the images it
// names, each with its manifest tree; manifests are verified on read, blobs by size here
// and by digest while streamed (blob_reader.h). A corrupt bundle is refused by name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bundle/blob_reader.h"
#include "bundle/image_name.h"

namespace bundle {

struct Descriptor {
  std::string media_type;
  std::string digest;
  int64_t size = 0;
};

// Limits on what a layout may make us read (a hostile bundle is small on disk and costly).
inline constexpr size_t kMaxManifestBytes = 4 << 20;  // one manifest or index (containerd's)
inline constexpr int kMaxManifestJsonDepth = 32;      // JSON nesting inside one of them
inline constexpr int kMaxIndexNesting = 8;            // index -> index -> ... below an image
inline constexpr size_t kMaxLayoutManifestBytes = size_t{256} << 20;  // all manifests held

// A manifest or an index as stored in the bundle (bytes are pushed as they are, so the
// digest is preserved), with everything it references. Indexes that share a child share
// the node: each digest is read once, and the tree is a DAG.
struct ManifestNode {
  Descriptor descriptor;
  std::string bytes;
  std::vector<Descriptor> blobs;                              // manifest: config, then layers
  std::vector<std::shared_ptr<const ManifestNode>> children;  // index: its manifests
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
  // unsupported media types, duplicate or malformed image names, and what exceeds the
  // limits above (index.json included).
  //
  // `dir` may also be an uncompressed tar of the layout (images.tar): its members are indexed
  // once (tar_index.h) and blobs are read in place. A gzip or zstd tar is refused with the
  // command that turns it into one.
  static absl::StatusOr<OciLayout> Open(const std::string& dir);
  // The images of a compressed archive read in one pass (layout_stream.h), from its leading
  // members held in memory (oci-layout, index.json, manifests by "blobs/sha256/<hex>"); the
  // blobs come later in the stream, their sizes and digests are checked as they arrive.
  static absl::StatusOr<OciLayout> FromHeldMembers(const std::string& archive,
                                                   const std::map<std::string, std::string>& held);

  const std::string& dir() const { return dir_; }  // the directory or the archive
  bool archived() const { return !members_.empty() || streamed_; }
  bool streamed() const { return streamed_; }
  const std::vector<Image>& images() const { return images_; }
  // A directory's blob file (an archive has none: use Locate).
  std::string BlobPath(const std::string& digest) const;
  // Where the blob's bytes are, in the directory or in the archive.
  BlobLocation Locate(const std::string& digest) const;

 private:
  absl::Status ReadImages(const std::string& marker, const std::string& index_text,
                          const std::map<std::string, std::string>* held);

  std::string dir_;
  bool streamed_ = false;
  std::vector<Image> images_;
  std::map<std::string, std::pair<int64_t, int64_t>> members_;  // archive: name -> offset, size
};

}  // namespace bundle
