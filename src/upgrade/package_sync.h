// The image phase of upgrade.sh (--only-sync-image): the package's images/ with image-sync,
// then the images of plugins/*.tgz with violet push --skip-crs, into the resolved registry.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/secret.h"

namespace upgrade {

// The path of tool `name`: `override` ($IMAGE_SYNC_BIN, ...) when set, else the first
// executable of <package_dir>/bin/<name>, <package_dir>/build*/cmd/<name>/<name>, beside the
// running program, and $PATH. FailedPrecondition "<name> binary not found beside upgrade.sh
// (bin/<name>); set <override_env>" otherwise.
absl::StatusOr<std::string> LocateTool(const std::string& name, const std::string& override,
                                       const std::string& override_env,
                                       const std::string& package_dir);

// The core package's image bundle beside upgrade.sh (cmd/image-sync/README.md, "Core package
// layout"): images/ when it is a directory, else the first of images.tar, images.tar.gz,
// images.tar.zst that exists; <package_dir>/images (reported missing later) when there is none.
std::string FindBundle(const std::string& package_dir);

struct ImageSyncRequest {
  std::string package_dir;                           // where upgrade.sh is (LocateTool)
  std::string image_sync_override, violet_override;  // $IMAGE_SYNC_BIN, $VIOLET_BIN
  std::string bundle;   // OCI layout: images/ or images.tar[.gz|.zst] (FindBundle)
  std::string plugins;  // directory of *.tgz plugin packages (may be absent)

  std::string registry;  // host[:port]
  std::string username;  // "" : anonymous (image-sync may still use an auth file)
  common::Secret password;
  // More registries pushed in the same image-sync run (a DR pair). image-sync gets
  // `username` for all of them (empty: each its own login from the credential chain);
  // violet push runs once per registry with that registry's own credentials.
  struct MoreRegistry {
    std::string registry, username;
    common::Secret password;
  };
  std::vector<MoreRegistry> more_registries;
  // True: no --username was given, so image-sync looks each registry's login up itself
  // (the same chain that resolved them) instead of getting the first one's for all.
  bool per_host_logins = false;
  std::string authfile;  // per_host_logins: image-sync --authfile
  bool plain = false, insecure = false;
  std::string ca_file;

  // As the operator gave them (nullopt/empty: the tool's own default).
  std::optional<int> parallel, chunk_mib;
  std::string state_dir;
  std::optional<int64_t> min_speed;
  std::optional<int> stall_seconds, request_timeout;
  std::string keyring;  // violet --keyring ($VIOLET_KEYRING reaches violet by environment)
  bool allow_unsigned = false;
  bool verbose = false;
  std::string log_format = "text";  // the children log as upgrade.sh was asked to (--log-format)
};

// True when `plugins` holds a *.tgz.
bool HasPluginPackages(const std::string& plugins);

// Runs image-sync, then (when plugins/*.tgz exist) violet push, each with the inherited
// stdout/stderr; the password goes to image-sync on a pipe (--password-stdin) and to violet
// in its environment, never in argv. Returns the exit code of the first tool that failed
// (the tools share one exit-code table), or 0. Errors: NotFound when the bundle is missing
// (exit 3), FailedPrecondition when a tool cannot be found or started (1).
absl::StatusOr<int> SyncPackageImages(const ImageSyncRequest& request, std::ostream& progress);

}  // namespace upgrade
