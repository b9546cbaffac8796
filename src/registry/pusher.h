// Pushes a whole bundle into a registry: skips images already there (one HEAD each), then
// runs the push plan on `parallel` workers (the registry's connection budget) and reports.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bundle/layout_stream.h"
#include "bundle/oci_layout.h"
#include "registry/progress.h"
#include "registry/registry_client.h"

namespace registry {

struct PushOptions {
  int parallel = 8;  // requests in flight, images and blobs together
  bool progress = true;
  bool tty = false;  // redraw one line instead of periodic log lines
  std::chrono::milliseconds progress_interval{10000};
  // Set: the caller reports progress from these counters (several targets on one line).
  ProgressCounters* counters = nullptr;
};

struct PushSummary {
  int images = 0, images_present = 0, images_retagged = 0, images_pushed = 0;
  int64_t blobs_uploaded = 0, blobs_mounted = 0, blobs_present = 0, manifests_pushed = 0;
  int64_t bytes_uploaded = 0, bytes_resent = 0, requests = 0;
  int64_t bytes_sent = 0;     // blob bytes that went over the network in this run
  int64_t bytes_resumed = 0;  // not sent: the registry held them from an interrupted upload
  double seconds = 0;
};

// The first error stops new work (in-flight requests finish); a manifest is never pushed
// unless all it references is in place, so a failed run leaves no tag on missing content.
absl::StatusOr<PushSummary> PushBundle(RegistryClient& client, const bundle::OciLayout& layout,
                                       const PushOptions& options);
// The same, with what was done kept in `summary` when the push fails too.
absl::Status PushBundleInto(RegistryClient& client, const bundle::OciLayout& layout,
                            const PushOptions& options, PushSummary& summary);

std::string FormatSummary(const PushSummary& summary);

// One registry of a multi-target push and how its push ended.
struct TargetResult {
  std::string host;
  absl::Status status;
  PushSummary summary;  // what was done, also when status is an error
};

// Pushes the bundle into every client at once, each with its own `parallel` connections:
// the wall time is the slowest target's, not the sum. The targets share nothing but the
// bundle: blobs are read once per target, from the page cache while the targets keep pace
// with each other, and a target that fails or is slow neither stops nor waits for the
// others. Results are in the order of `clients`.
std::vector<TargetResult> PushBundleToAll(const std::vector<RegistryClient*>& clients,
                                          const bundle::OciLayout& layout,
                                          const PushOptions& options);

// The same from a compressed archive read in ONE pass (bundle/layout_stream.h): every
// target's plan is made first, then each blob some target needs is spooled once (verified)
// and uploaded to every target that needs it, mounts and manifests following as today
// (images complete in bundle order, a manifest only after all it references exists). The
// spool holds at most the largest blob: the next blob is decompressed while earlier ones
// upload only when it fits beside them. A corrupt or missing member fails every target that
// still needs it, before any manifest naming it is pushed.
std::vector<TargetResult> PushStreamToAll(const std::vector<RegistryClient*>& clients,
                                          bundle::LayoutStream& stream, const PushOptions& options);

}  // namespace registry
