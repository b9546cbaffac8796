// `violet push`: for each package, images into the registry (the image engine's PushBundle),
// a check that every referenced image is there, then Artifact/ArtifactVersion per cluster.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/secret.h"
#include "package/package_archive.h"
#include "platform/connection.h"
#include "registry/transfer_limits.h"
#include "violet/failure.h"

namespace violet {

struct PushRequest {
  std::string path;  // a .tgz or a directory of them
  platform::Connection connection;
  std::string dest_repo;  // empty: the platform registry (ProductBase base)
  std::string username;   // registry credentials
  common::Secret password;
  bool no_auth = false;
  bool plain = false;
  bool registry_insecure = false;  // TLS without verifying the registry's certificate
  std::string registry_ca_file;
  registry::TransferLimits transfer_limits;  // --min-speed, --stall-seconds, --request-timeout
  std::vector<std::string> clusters{"global"};
  bool clusters_given = false;
  std::string catalog_source = "platform";
  std::string chart_repo = "public-charts";
  std::string ns = "cpaas-system";
  bool skip_crs = false;
  bool skip_push = false;
  bool force = false;        // create CRs on workload clusters during the global upgrade
  bool skip_verify = false;  // do not check .sha256/.sig beside the packages
  std::string keyring;
  bool allow_unsigned = false;    // with a keyring named: accept packages without .sig
  package::ExtractLimits limits;  // what a package may expand to
  std::string work_dir;           // where packages are unpacked (default: a temporary directory)
  int parallel = 8;
};

// The flag rules (README): one line naming what is wrong. InvalidArgument.
absl::Status ValidatePushRequest(const PushRequest& request);

// Runs the push: opens and verifies the packages, reads the global cluster (credentials, DR
// role, upgrade state, registry), resolves the target clusters, then per package pushes its
// images, checks every referenced image is in the registry and creates or updates its
// Artifact/ArtifactVersion on each target cluster. A failed package does not stop the others:
// its line goes to `err` as it happens and the outcome is the first failure's kind. Progress and
// the summary go to `out`. A failure that stops the run is returned, not printed.
Outcome RunPush(const PushRequest& request, std::ostream& out, std::ostream& err);

}  // namespace violet
