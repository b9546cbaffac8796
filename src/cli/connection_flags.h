// The one flag set for reaching the platform (violet push/list/gc, ac adm upgrade,
// upgrade-core): a kubeconfig, or a platform address with a token or a local user.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "platform/connection.h"

namespace cli {

struct ConnectionFlags {
  std::string kubeconfig, context, platform_address, platform_username, ca_file;
  std::string platform_password, platform_token;  // from the flags; ToConnection adds $env
  bool insecure = false;
};

// --kubeconfig, --context, --platform-address, --platform-token (or $ACP_PLATFORM_TOKEN or
// $VIOLET_PLATFORM_TOKEN, which keep it out of ps), --platform-username, --platform-password
// (or $VIOLET_PLATFORM_PASSWORD), --platform-ca-file, and --insecure-skip-tls-verify with its
// alias --platform-insecure.
void AddConnectionFlags(CLI::App& app, ConnectionFlags& flags);

// The one place flags become a connection (the engines' type). A flag wins over the
// environment; of the two token variables, $ACP_PLATFORM_TOKEN wins.
platform::Connection ToConnection(const ConnectionFlags& flags);

}  // namespace cli
