#include "cli/registry_flags.h"

#include "cli/transfer_flags.h"

namespace cli {

void AddRegistryFlags(CLI::App& app, RegistryFlags& flags, const RegistryFlagNames& names) {
  if (names.repeatable_registry) {
    app.add_option(names.registry, flags.registries,
                   "registry host[:port] (IPv6: [fd00::1]:11443); repeat it to push to several "
                   "registries in one run")
        ->take_all()
        ->allow_extra_args(false);
  } else {
    app.add_option(names.registry, flags.registry, "registry host[:port] (IPv6: [fd00::1]:11443)")
        ->multi_option_policy(CLI::MultiOptionPolicy::Throw);
  }
  app.add_option("--username", flags.username, "registry user");
  if (!names.password_env.empty()) {
    app.add_option("--password", flags.password,
                   "registry password (or $" + names.password_env + "; a flag shows in ps)")
        ->envname(names.password_env);
  } else {
    app.add_flag("--password-stdin", flags.password_stdin,
                 "read the registry password from standard input");
  }
  if (names.password_file) {
    app.add_option("--password-file", flags.password_file,
                   "file holding the registry password (first line)");
  }
  app.add_option("--authfile", flags.authfile,
                 "no --username: auth file searched first for a login (default "
                 "$REGISTRY_AUTH_FILE; then $XDG_RUNTIME_DIR/containers/auth.json, "
                 "~/.config/containers/auth.json, ~/.docker/config.json)");
  if (names.no_auth) app.add_flag("--no-auth", flags.no_auth, "the registry needs no credentials");
  app.add_flag("--plain", flags.plain, "plain HTTP to the registry");
  app.add_flag("--insecure", flags.insecure, "HTTPS without verifying the registry's certificate");
  app.add_option(names.ca_file, flags.ca_file,
                 "CA bundle (PEM) that signed the registry's certificate");
  if (names.transfer_limits) AddTransferLimitFlags(app, flags.limits);
}

}  // namespace cli
