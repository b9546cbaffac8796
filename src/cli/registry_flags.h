// The one registry flag set (image-sync, violet push, upgrade-core registry/trigger): where
// the registry is, its credentials (flags, else --authfile and the login chain), TLS, and
// the transfer limits. Each tool keeps the flag
// names it always had (violet push: --dest-repo, --password/$VIOLET_REGISTRY_PASSWORD,
// --registry-ca-file); the set is otherwise the same.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "registry/transfer_limits.h"

namespace cli {

struct RegistryFlags {
  std::string registry, username, ca_file;
  std::vector<std::string> registries;  // names.repeatable_registry: every --registry given
  std::string password;                 // --password / $env (violet), kept only until made a Secret
  std::string password_file;            // image-sync
  std::string authfile;  // --authfile: searched first for a login (credential_chain.h)
  bool password_stdin = false, no_auth = false, plain = false, insecure = false;
  registry::TransferLimits limits;
};

struct RegistryFlagNames {
  std::string registry = "--registry";
  std::string ca_file = "--ca-file";
  // Non-empty: --password <p> or this variable (violet push). Empty: --password-stdin.
  std::string password_env;
  bool password_file = false;   // --password-file (image-sync)
  bool no_auth = false;         // --no-auth (violet push)
  bool transfer_limits = true;  // --min-speed, --stall-seconds, --request-timeout
  // --registry may be given more than once (image-sync: every target in one run), into
  // `registries`; otherwise a second one is refused rather than replacing the first.
  bool repeatable_registry = false;
};

void AddRegistryFlags(CLI::App& app, RegistryFlags& flags, const RegistryFlagNames& names = {});

}  // namespace cli
