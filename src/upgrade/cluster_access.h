// The upgrade tools' connection flags: how they reach the global cluster and the cluster being
// upgraded (the discovery rule and the cluster-name meaning are platform::ConfigForCluster's).
#pragma once

#include <string>

#include "platform/connection.h"

namespace CLI {
class App;
}  // namespace CLI

namespace upgrade {

struct ConnectionFlags {
  std::string kubeconfig, context, platform_address, platform_token, ca_file;
  bool insecure = false;
};

// --kubeconfig, --context, --platform-address, --platform-token (or $ACP_PLATFORM_TOKEN, which
// keeps it out of ps), --platform-ca-file, --insecure-skip-tls-verify.
void AddConnectionFlags(CLI::App& app, ConnectionFlags& flags);
platform::Connection ToConnection(const ConnectionFlags& flags);

}  // namespace upgrade
